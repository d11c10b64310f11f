"""Server streaming over HTTP (HTTP-042 to HTTP-049, HTTP-054), through the default route of ProcessStreamedOut.

The TCK model answers each group of the request with one response and goes on
after a failed group; the proxy ends the client's call at the first failure.
So a script of replies and failures predicts the stream exactly: the replies
before the first failure, then that failure (as the whole answer when it comes
first, else as the stream's last event or line).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cloudstate import action_pb2, entity_pb2
from cloudstate.tck.model import action_pb2 as model_pb2
from google.protobuf.message import Message

from tck.proxy import http_checks as hc
from tck.proxy.harness import HEADER, Harness
from tck.proxy.http_calls import STREAMED_OUT, call, fail, rendered, reply, script, tag
from tck.proxy.http_client import open_request
from tck.proxy.records import StreamInfo

#: Accept headers that list text/event-stream, and some that do not.
SSE_ACCEPTS = ("text/event-stream", "text/html, text/event-stream", "application/json;q=0.9, text/event-stream;q=0.5")
NDJSON_ACCEPTS = ("", "application/json", "*/*", "application/x-ndjson", "text/html, application/xml;q=0.9")
Group = tuple[str, str]  # ("reply" | "fail", message)


def events(body: bytes) -> list[object]:
    """Server-Sent Events as [data JSON] or ["error", data JSON]; a malformed event as its text."""
    blocks = body.split(b"\n\n")
    found: list[object] = [] if blocks[-1] == b"" else [f"unterminated: {blocks[-1]!r}"]
    for block in blocks[:-1]:
        lines = block.split(b"\n")
        kind = ["error"] if lines[0] == b"event: error" else []
        data = lines[len(kind) :]
        if len(data) == 1 and data[0].startswith(b"data:"):
            found.append([*kind, json.loads(data[0][5:])])
        else:
            found.append(block.decode(errors="replace"))
    return found


def lines(body: bytes) -> list[object]:
    """Newline-delimited JSON as values; a missing last newline as a marker."""
    parts = body.split(b"\n")
    return [json.loads(p) if p.strip() else repr(p) for p in parts[:-1]] + ([] if parts[-1] == b"" else ["no \\n"])


def expect_stream(h: Harness, groups: Sequence[Group], accept: str) -> None:
    """Stream ``groups`` and compare the answer with what they predict."""
    sse = accept in SSE_ACCEPTS
    headers = [("Content-Type", "application/json"), *((("Accept", accept),) if accept else ())]
    body = hc.dumps(script(*([reply(m)] if kind == "reply" else [fail(m)] for kind, m in groups)))
    answer, _, _ = call(h, "POST", STREAMED_OUT, body, headers, f"ProcessStreamedOut, Accept {accept!r}")
    h.rec.require(hc.ACCEPT, answer.status != 406, f"Accept {accept!r}: {answer.describe()}")
    failures = [m for kind, m in groups if kind == "fail"]
    replies = [m for kind, m in groups[: next((i for i, g in enumerate(groups) if g[0] == "fail"), len(groups))]]
    if not replies and failures:
        hc.expect_call_error(h.rec, hc.STREAM_FAILS_FIRST, answer, 2, "a stream failing at once")
        h.rec.expect(hc.STREAM_FAILS_FIRST, failures[0], _message(answer.json()), "the error message")
        return
    error = {"code": 2, "message": failures[0], "details": []} if failures else None
    media = (answer.header("content-type") or "").split(";")[0].strip()
    if sse:
        expected: list[object] = [[rendered(m)] for m in replies]
        expected += [["error", error]] if error else []
        check = hc.SSE_ERROR if error else hc.SSE
        h.rec.expect(check, (200, "text/event-stream", expected), (answer.status, media, events(answer.body)))
    else:
        expected = [rendered(m) for m in replies]
        expected += [{"error": error}] if error else []
        check = hc.NDJSON_ERROR if error else hc.NDJSON
        h.rec.expect(check, (200, "application/json", expected), (answer.status, media, lines(answer.body)))


def _message(problem: object) -> object:
    return problem.get("message") if isinstance(problem, dict) else problem


def cancelled_on_disconnect(h: Harness) -> None:
    """A client that leaves while the stream waits for its first message: the proxy cancels the call."""
    step = tag(h)
    gate = h.icp.hold(lambda info, message: _tagged(message, step))
    try:
        body = hc.dumps(script([reply("never sent")]))
        sock = open_request(h.client.endpoint, STREAMED_OUT, body, [("Accept", "text/event-stream"), (HEADER, step)])
        held = gate.wait_held(1, h.bounds.wait)
        if held is None:
            sock.close()
            h.rec.miss(hc.CANCEL, "the streamed-out call never reached the user function")
            return
        h.note(f"client: closed the connection of a stream waiting on call #{held[0].stream}")
        sock.close()
        closed: StreamInfo | None = h.icp.wait_closed(held[0].stream, h.bounds.wait)
        h.rec.expect(hc.CANCEL, "cancelled", closed.end_kind if closed else "still open", f"call #{held[0].stream}")
    finally:
        h.icp.drop(gate)


def first_reply_headers(h: Harness) -> None:
    """The response headers are the first reply's metadata; a later reply's metadata is not sent (HTTP-054)."""
    step = tag(h)
    names = {f"{step}-1": "x-tck-first", f"{step}-2": "x-tck-second"}

    def ours(info: StreamInfo, message: Message) -> bool:
        return isinstance(message, action_pb2.ActionResponse) and _text(message) in names

    def with_metadata(message: Message) -> Message:
        assert isinstance(message, action_pb2.ActionResponse)
        entry = entity_pb2.MetadataEntry(key=names[_text(message)], string_value="yes")
        message.reply.metadata.entries.append(entry)
        return message

    rewrite = h.icp.rewrite(ours, with_metadata, times=2)
    try:
        body = hc.dumps(script([reply(f"{step}-1")], [reply(f"{step}-2")]))
        answer, _, _ = call(h, "POST", STREAMED_OUT, body, label="two replies with metadata")
    finally:
        h.icp.unrewrite(rewrite)
    seen = (answer.status, answer.header("x-tck-first"), answer.header("x-tck-second"))
    h.rec.expect(hc.STREAM_HEADERS, (200, "yes", None), seen, "status, x-tck-first, x-tck-second")


def _text(message: action_pb2.ActionResponse) -> str:
    response = model_pb2.Response()
    if message.WhichOneof("response") == "reply":
        response.ParseFromString(message.reply.payload.value)
    return response.message


def _tagged(message: Message, step: str) -> bool:
    if not isinstance(message, action_pb2.ActionCommand):
        return False
    return any(e.key == HEADER and e.string_value == step for e in message.metadata.entries)
