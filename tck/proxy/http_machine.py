"""The ``proxy/http`` state machine: HTTP/JSON requests whose spelling varies, against a model of the entities' state.

Hypothesis draws what HTTP lets a client vary without changing the call:
entity ids with characters that need percent-encoding (escaped in upper or
lower case hex), JSON bodies with a conflicting ``id``, ``null`` members or no
bytes at all, query strings, Content-Type and Accept spellings. Each call must
reach the user function as the same command and come back rendered the same
way; malformed bodies, wrong media types and wrong methods must be refused
without reaching it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from cloudstate.tck.model import valueentity_pb2
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tck.proxy import http_checks as hc
from tck.proxy.harness import Harness
from tck.proxy.http_calls import (
    ACTION_TWO,
    ENTITY,
    STREAMED_OUT,
    UNARY,
    call,
    commands,
    entity_request,
    rendered,
    reply,
    script,
)
from tck.proxy.http_client import Reply
from tck.proxy.http_streams import NDJSON_ACCEPTS, SSE_ACCEPTS, expect_stream

TEXT = st.text(st.characters(codec="utf-8"), max_size=8)  # any text but lone surrogates
_ID_CHARACTERS = st.characters(exclude_categories=("Cs", "Cc"))
IDS = st.text(_ID_CHARACTERS | st.sampled_from("/%?#+ &=;:@."), min_size=1, max_size=8)
FORMS = st.sampled_from(["plain", "other-id", "nulls", "empty"])
JSON_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"])
OTHER_TYPES = st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"])
ACCEPTS = st.sampled_from([*NDJSON_ACCEPTS, *SSE_ACCEPTS, "application/xml", "image/png;q=1"])
_BAD_ACTION = [b"{", b"nope", b'{"groups": 5}', b'{"unknown": 1}', b'{"groups":[{"steps":[{"reply":{"message":7}}]}]}']
BAD_BODIES = st.sampled_from(
    [*_BAD_ACTION, b"\xff\xfe{}", b'{"id": 5}', b'{"actions":[{"update":{"value":true}}]}', b"[]"]
)


class ProxyHttpMachine(RuleBasedStateMachine):
    def __init__(self, h: Harness) -> None:
        super().__init__()
        self.h, self.rec = h, h.rec
        self.prefix = h.fresh()
        self.states: dict[str, str] = {}

    @rule(raw=IDS, value=st.none() | TEXT, form=FORMS, query=st.booleans(), media=JSON_TYPES, accept=ACCEPTS)
    def entity(self, raw: str, value: str | None, form: str, query: bool, media: str, accept: str) -> None:
        entity = self.prefix + raw
        escaped = quote(entity, safe=":@!$&'()*+,;=") if query else re.sub("%[0-9A-F]{2}", _lower, quote(entity, ""))
        path = ENTITY + escaped + ("?id=elsewhere&actions=x&no_such=1" if query else "")
        body, check = _body(value, form)
        headers = [("Content-Type", media), *((("Accept", accept),) if accept else ())]
        answer, mark, step = call(self.h, "POST", path, body, headers, f"Process {entity!r} ({form})")
        sent = [c for _, c in commands(self.h, mark, step)]
        self.rec.expect(hc.PATH_DECODE, [entity], [getattr(c, "entity_id", None) for c in sent], path)
        actions = (
            [valueentity_pb2.RequestAction(update=valueentity_pb2.Update(value=value))] if value is not None else []
        )
        wanted = valueentity_pb2.Request(id=entity, actions=actions)
        self.rec.expect(check, [wanted], [entity_request(c) for c in sent], "the Request the command carried")
        if query:
            self.rec.expect(hc.QUERY_IGNORED, [wanted], [entity_request(c) for c in sent], "with a query string")
        state = value if value is not None else self.states.get(entity, "")
        self._rendered(answer, state, accept, media)
        self.states[entity] = state

    @rule(message=TEXT, accept=ACCEPTS, media=JSON_TYPES)
    def action(self, message: str, accept: str, media: str) -> None:
        headers = [("Content-Type", media), *((("Accept", accept),) if accept else ())]
        answer, _, _ = call(self.h, "POST", UNARY, hc.dumps(script([reply(message)])), headers, "ProcessUnary")
        self._rendered(answer, message, accept, media)

    def _rendered(self, answer: Reply, message: str, accept: str, media: str) -> None:
        if accept:
            self.rec.require(hc.ACCEPT, answer.status == 200, f"Accept {accept!r}: {answer.describe()}")
        kind = (answer.header("content-type") or "").split(";")[0]
        seen = (answer.status, kind, answer.json(), hc.compact(answer.body))
        self.rec.expect(hc.RENDERING, (200, "application/json", rendered(message), True), seen)
        if media != "application/json":
            self.rec.require(hc.CONTENT_TYPE, answer.status == 200, f"Content-Type {media!r}: {answer.describe()}")

    @rule(body=BAD_BODIES, entity=st.booleans())
    def bad_json(self, body: bytes, entity: bool) -> None:
        path = ENTITY + quote(self.prefix + "bad", "") if entity else UNARY
        answer, mark, step = call(self.h, "POST", path, body, label="a body that is not the input message")
        hc.expect_call_error(self.rec, hc.BAD_JSON, answer, 3, f"body {body!r}")
        self.rec.expect(hc.BAD_JSON, [], commands(self.h, mark, step), "commands sent")

    @rule(media=OTHER_TYPES, empty=st.booleans())
    def wrong_media(self, media: str, empty: bool) -> None:
        body = b"" if empty else hc.dumps(script([reply("m")]))
        answer, mark, step = call(self.h, "POST", UNARY, body, [("Content-Type", media)], "another media type")
        if empty:  # only a non-empty body has a media type to refuse; no bytes are {} (HTTP-021)
            self.rec.expect(hc.EMPTY_BODY, (200, {}), (answer.status, answer.json()), f"no body, {media!r}")
            return
        hc.expect_error(self.rec, hc.CONTENT_TYPE, answer, 415, 3, f"Content-Type {media!r}")
        self.rec.expect(hc.CONTENT_TYPE, [], commands(self.h, mark, step), "commands sent")

    @rule(method=st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]), path=st.sampled_from([UNARY, ACTION_TWO]))
    def wrong_method(self, method: str, path: str) -> None:
        answer, _, _ = call(self.h, method, path, b"", label="a method the path does not accept")
        hc.expect_error(self.rec, hc.NOT_ALLOWED, answer, 405, 12, f"{method} {path}")
        self.rec.expect(hc.NOT_ALLOWED, "POST", (answer.header("allow") or "").strip(), "the Allow header")

    @rule(groups=st.lists(st.tuples(st.sampled_from(["reply", "fail"]), TEXT), min_size=1, max_size=4), accept=ACCEPTS)
    def stream(self, groups: list[tuple[str, str]], accept: str) -> None:
        self.h.note(f"step: stream {groups} to {STREAMED_OUT}")
        expect_stream(self.h, groups, accept)


def _lower(match: re.Match[str]) -> str:
    return match.group(0).lower()


def _body(value: str | None, form: str) -> tuple[bytes, Any]:
    """The JSON body of a Process request in one of its spellings, and the check the spelling exercises."""
    actions: Any = [{"update": {"value": value}}] if value is not None else None
    if form == "empty" and value is None:
        return b"", hc.EMPTY_BODY
    if form == "nulls":
        return hc.dumps({"id": None, "actions": actions}), hc.JSON_NULL
    members = {"id": "elsewhere"} if form == "other-id" else {}
    return hc.dumps({**members, **({"actions": actions} if actions else {})}), hc.BODY_STAR
