"""Properties of request binding and rendering on random messages: what the transcoder renders, it reads back the
same, as a JSON body, as query parameters (through real URL encoding) and as path variables."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import yarl
from cloudstate_proxy.http.decoding import RequestParts, decode_request
from cloudstate_proxy.http.rendering import json_value, render
from cloudstate_proxy.http.routing import Router
from cloudstate_proxy.http.rules import Binding, collect_bindings
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from transcoding_support import new, things

BINDINGS = collect_bindings([things()])
ROUTER = Router(BINDINGS)


def binding(method: str, source: str) -> Binding:
    return next(b for b in BINDINGS if b.method.name == method and b.template.source == source)


CREATE = binding("Create", "/v1/things")  # body "*"
GET = binding("Get", "/v1/things/{id}")  # no body: everything but the id from the query

I32 = st.integers(-(2**31), 2**31 - 1)
I64 = st.integers(-(2**63), 2**63 - 1)
U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
TEXT = st.text(max_size=8)
ENUM = st.integers(0, 4)  # 3 and 4 have no name: rendered as numbers
DOUBLE = st.floats(allow_nan=False)
FLOAT = st.floats(width=32, allow_nan=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def inners(draw: st.DrawFn, *, nonempty: bool = False) -> Any:
    """An httptest.Inner; ``nonempty`` sets a field of each message (a set but empty message renders as ``{}``,
    which no query parameter can carry)."""
    text = st.text(min_size=1, max_size=8) if nonempty else TEXT
    inner = new("httptest.Inner", name=draw(text), count=draw(I32))
    if draw(st.booleans()):
        inner.deeper.CopyFrom(new("httptest.Deeper", leaf=draw(text), big=draw(I64), shade=draw(ENUM)))
    return inner


@st.composite
def messages(draw: st.DrawFn, *, for_query: bool) -> Any:
    """A random httptest.Thing; ``for_query`` leaves out what a query cannot carry (maps, Struct, Any, ...)."""
    thing = new(
        "httptest.Thing",
        id=draw(TEXT), i32=draw(I32), i64=draw(I64), u32=draw(U32), u64=draw(U64), s32=draw(I32), s64=draw(I64),
        f32=draw(U32), f64=draw(U64), sf32=draw(I32), sf64=draw(I64), fl=draw(FLOAT),
        db=draw(DOUBLE), flag=draw(st.booleans()), data=draw(st.binary(max_size=8)), color=draw(ENUM),
        tags=draw(st.lists(TEXT, max_size=3)), nums=draw(st.lists(I64, max_size=3)),
        colors=draw(st.lists(ENUM, max_size=3)), custom_named=draw(TEXT), samples=draw(st.lists(FLOAT, max_size=3)),
    )  # fmt: skip
    if draw(st.booleans()):
        thing.inner.CopyFrom(draw(inners(nonempty=for_query)))
    for name, values in (("wstr", TEXT), ("wi64", I64), ("wbool", st.booleans()), ("wdbl", DOUBLE), ("wfl", FLOAT)):
        if draw(st.booleans()):
            getattr(thing, name).value = draw(values)
    if draw(st.booleans()):
        thing.ts.seconds = draw(st.integers(-62135596800, 253402300799))
        thing.ts.nanos = draw(st.integers(0, 999_999_999))
    if draw(st.booleans()):
        thing.dur.seconds = draw(st.integers(0, 315_576_000_000))
        thing.dur.nanos = draw(st.integers(0, 999_999_999))
    if draw(st.booleans()):
        thing.mask.paths.extend(
            draw(st.lists(st.from_regex(r"[a-z]+(_[a-z]+)?(\.[a-z]+)?", fullmatch=True), max_size=3))
        )
    if draw(st.booleans()):
        thing.maybe = draw(I32)
    choice = draw(st.sampled_from(["none", "text", "number"]))
    if choice == "text":
        thing.text = draw(TEXT)
    elif choice == "number":
        thing.number = draw(I32)
    if not for_query:
        thing.labels.update(draw(st.dictionaries(TEXT, TEXT, max_size=3)))
        thing.weights.update(draw(st.dictionaries(TEXT, FLOAT, max_size=3)))
        thing.inners.extend(draw(st.lists(inners(), max_size=2)))
        if draw(st.booleans()):
            thing.extra.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=3)))
        if draw(st.booleans()):
            thing.attachment.Pack(draw(inners()))
    return thing


@settings(max_examples=150)
@given(messages(for_query=False))
def test_json_body_round_trip(message: Any) -> None:
    rendered = render(CREATE, message)
    assert rendered.content_type == "application/json"
    parts = RequestParts(path_values={}, body=rendered.body, content_type="application/json")
    assert decode_request(CREATE, parts) == message


def query_pairs(value: object, name: str = "") -> list[tuple[str, str]]:
    """Query parameters for a rendered JSON value: nested objects as dotted names, lists as repeated names."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in query_pairs(item, f"{name}.{key}" if name else key)]
    if isinstance(value, list):
        return [pair for item in value for pair in query_pairs(item, name)]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]


@settings(max_examples=150)
@given(messages(for_query=True))
def test_query_round_trip(message: Any) -> None:
    pairs = query_pairs(json_value(GET, message))
    url = yarl.URL(str(yarl.URL.build(path="/v1/things/x", query=pairs)), encoded=True)  # as sent on the wire
    parts = RequestParts(path_values={"id": message.id}, query=list(url.query.items()))
    assert decode_request(GET, parts) == message


@given(st.text(min_size=1))
def test_single_segment_values_survive_percent_encoding(value: str) -> None:
    assume(value != "special")  # a literal binding of its own
    chosen, values = ROUTER.route("GET", "/v1/things/" + quote(value, safe=""))
    assert (chosen is GET, values) == (True, {"id": value})


@given(st.lists(st.text(min_size=1), max_size=4))
def test_multi_segment_values_keep_encoded_slashes(segments: list[str]) -> None:
    chosen, values = ROUTER.route("GET", "/v2/files" + "".join("/" + quote(s, safe="") for s in segments))
    assert chosen.method.name == "Resource"
    assert values == {"id": "/".join(["files", *(s.replace("/", "%2F") for s in segments)])}
