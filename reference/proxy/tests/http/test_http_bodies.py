"""Request and response bodies over a real server: JSON parsing and rendering, content types, response_body and
google.api.HttpBody (spec/13-http.md, HTTP-017 to HTTP-040)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from cloudstate_proxy.invoking import Call, Response
from transcoding_support import ScriptedInvoker, new, new_invoker, serve_things

JSON = {"Content-Type": "application/json"}
FLOAT_MAX = float.fromhex("0x1.fffffep+127")


invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


def answer(invoker: ScriptedInvoker, method: str, reply: Any) -> None:
    async def script(call: Call, request: Any) -> Response:
        return Response(reply)

    invoker.unary_scripts[method] = script


async def post(
    client: aiohttp.ClientSession, data: bytes, headers: dict[str, str] | None = None, path: str = "/v1/things"
) -> tuple[int, Any]:
    async with client.post(path, data=data, headers=JSON if headers is None else headers) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        return response.status, await response.json()


async def fetch(client: aiohttp.ClientSession, path: str) -> tuple[int, str, bytes]:
    async with client.get(path) as response:
        return response.status, response.headers["Content-Type"], await response.read()


# --- parsing ---


@pytest.mark.parametrize(
    ("document", "read", "expected"),
    [
        (b'{"renamed":"json name"}', lambda m: m.custom_named, "json name"),
        (b'{"custom_named":"proto name"}', lambda m: m.custom_named, "proto name"),
        (b'{"i64":12}', lambda m: m.i64, 12),  # 64-bit integers as numbers...
        (b'{"i64":"-13"}', lambda m: m.i64, -13),  # ... and as strings
        (b'{"color":2}', lambda m: m.color, 2),  # enums as numbers...
        (b'{"color":"RED"}', lambda m: m.color, 1),  # ... and as names
        (b'{"i32":null,"inner":null}', lambda m: (m.i32, m.HasField("inner")), (0, False)),  # null: the default
        (b'{"ts":"1970-01-01T00:01:00Z"}', lambda m: m.ts.seconds, 60),
        (b'{"wi64":"7"}', lambda m: m.wi64.value, 7),
        (b'{"extra":{"k":[1,"x",null]}}', lambda m: m.extra["k"][1], "x"),
        (b'{"attachment":{"@type":"type.googleapis.com/httptest.Inner","name":"n"}}', lambda m: m.attachment.type_url,
         "type.googleapis.com/httptest.Inner"),
        (b"", lambda m: m.ByteSize(), 0),  # no body at all is {}
        # float fields take every number that rounds to a 32-bit float, as json_format prints the largest ones
        (b'{"fl":3.4028235e38,"samples":[-3.4028235e38],"weights":{"w":3.4028235e38},"wfl":3.4028235e38}',
         lambda m: (m.fl, m.samples[0], m.weights["w"], m.wfl.value), (FLOAT_MAX, -FLOAT_MAX, FLOAT_MAX, FLOAT_MAX)),
    ],
)  # fmt: skip
async def test_json_parsing(
    client: aiohttp.ClientSession,
    invoker: ScriptedInvoker,
    document: bytes,
    read: Callable[[Any], Any],
    expected: object,
) -> None:
    status, body = await post(client, document)
    assert status == 200, body
    assert read(invoker.last[1]) == expected


async def test_empty_body_without_content_type(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await post(client, b"", headers={})
    assert status == 200
    assert invoker.last[1].ByteSize() == 0


async def test_empty_body_for_a_message_field_sets_it(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.patch("/v1/things/x") as response:
        assert response.status == 200
    assert invoker.last[1].HasField("inner")


@pytest.mark.parametrize(
    ("document", "mentions"),
    [
        (b'{"nope":1}', "nope"),  # unknown field, named
        (b'{"inner":{"nope":1}}', "nope"),
        (b'{"i32":"x"}', "i32"),
        (b'{"i32":1.5}', "i32"),
        (b'{"i32":', "not valid JSON"),
        (b'{"fl":NaN}', "NaN"),
        (b'{"fl":3.5e38}', "too large"),
        (b'{"weights":{"w":-3.5e38}}', "too small"),
        (b"[1]", "JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "too deeply"),
        (b"\xff\xfe", "UTF-8"),
        (b'{"attachment":{"@type":"type.googleapis.com/httptest.Nope"}}', "httptest.Nope"),
    ],
)
async def test_bad_bodies_are_400(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, document: bytes, mentions: str
) -> None:
    status, body = await post(client, document)
    assert (status, body["code"], body["details"]) == (400, 3, [])
    assert mentions in body["message"]
    assert invoker.calls == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", None]
)
async def test_a_body_that_is_not_json_is_415(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, body = await post(client, b'{"id":"x"}', headers=headers)
    assert (status, body["code"]) == (415, 3)
    assert invoker.calls == []


@pytest.mark.parametrize("content_type", ["application/json", 'Application/JSON; Charset="UTF-8"'])
async def test_json_content_types(client: aiohttp.ClientSession, invoker: ScriptedInvoker, content_type: str) -> None:
    status, _ = await post(client, b'{"id":"x"}', headers={"Content-Type": content_type})
    assert status == 200
    assert invoker.last[1].id == "x"


# --- rendering ---


async def test_rendering_is_canonical_json_without_defaults(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    reply = new("httptest.Thing", id="r", i64=-5, u64=2**64 - 1, data=b"\xff\x00", color=2, nums=[1, 2])
    reply.ts.seconds = 86400
    reply.wstr.value = ""
    reply.extra["a"] = 1.5
    reply.attachment.Pack(new("httptest.Inner", name="packed"))
    answer(invoker, "Get", reply)
    async with client.get("/v1/things/r") as response:
        text = await response.text()
        assert response.headers["Content-Type"] == "application/json"
    assert (" " in text, "\n" in text) == (False, False)  # one compact line
    body = json.loads(text)
    expected = {
        "id": "r",
        "i64": "-5",  # 64-bit integers as strings
        "u64": "18446744073709551615",
        "nums": ["1", "2"],
        "data": "/wA=",  # standard base64 with padding
        "color": "GREEN",
        "ts": "1970-01-02T00:00:00Z",
        "wstr": "",
        "extra": {"a": 1.5},
        "attachment": {"@type": "type.googleapis.com/httptest.Inner", "name": "packed"},
    }
    assert body == expected
    # Fields without presence that hold their default are left out (HTTP-034): i32, flag, tags, labels, renamed;
    # so are unset message fields, unset optional fields and unset oneof members; a set wrapper is written ("wstr").


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/inner/x", {"name": "in", "count": 3}),  # a message field
        ("/v1/i64/x", "42"),  # a scalar field (64-bit: a string)
        ("/v1/tags/x", ["a", "b"]),  # a repeated field
    ],
)
async def test_response_body_selects_a_field(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, path: str, expected: object
) -> None:
    answer(
        invoker,
        "InnerOnly",
        new("httptest.Thing", i64=42, tags=["a", "b"], inner=new("httptest.Inner", name="in", count=3)),
    )
    async with client.get(path) as response:
        assert (response.status, await response.json()) == (200, expected)


async def test_response_body_of_an_unset_message_is_its_default(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    answer(invoker, "InnerOnly", new("httptest.Thing"))
    async with client.get("/v1/inner/x") as response:
        assert await response.json() == {}


@pytest.mark.parametrize(("path", "expected"), [("/v1/i64/x", "0"), ("/v1/tags/x", [])])
async def test_response_body_of_a_field_holding_its_default_is_that_default(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, path: str, expected: object
) -> None:
    """The selected field is the whole answer, so it is sent even though it holds its default."""
    answer(invoker, "InnerOnly", new("httptest.Thing"))
    async with client.get(path) as response:
        assert (response.status, await response.json()) == (200, expected)


# --- google.api.HttpBody ---


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [("text/csv; charset=utf-8", "text/csv; charset=utf-8"), ("", "application/octet-stream")],
)
async def test_http_body_output_is_raw(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, content_type: str, expected: str
) -> None:
    answer(invoker, "Fetch", new("google.api.HttpBody", content_type=content_type, data=b"a,b\n\xff"))
    assert await fetch(client, "/v1/files/f") == (200, expected, b"a,b\n\xff")


async def test_http_body_response_field_is_raw(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    answer(
        invoker,
        "FetchField",
        new("httptest.Download", id="d", file=new("google.api.HttpBody", content_type="image/png", data=b"\x89PNG")),
    )
    assert await fetch(client, "/v1/downloads/d") == (200, "image/png", b"\x89PNG")


async def test_http_body_input_takes_the_raw_body(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.post("/v1/upload", data=b"{not json", headers={"Content-Type": "text/x-weird"}) as response:
        assert response.status == 200
    called, request = invoker.last
    assert (called.method, request.content_type, request.data) == ("Upload", "text/x-weird", b"{not json")


async def test_http_body_field_input(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.put(
        "/v1/upload/u1", data=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    ) as response:
        body = await response.json()
    request = invoker.last[1]
    assert (request.id, request.payload.content_type, request.payload.data) == (
        "u1",
        "application/octet-stream",
        b"\x00\x01",
    )
    assert body["payload"] == {"contentType": "application/octet-stream", "data": "AAE="}
