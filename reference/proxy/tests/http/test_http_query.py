"""Query parameters over a real server: every scalar type, repeated fields, nested paths, well-known wrappers
and the 400 answers (spec/13-http.md, HTTP-014, HTTP-018, HTTP-022 to HTTP-026)."""

from __future__ import annotations

import math
from typing import Any

import aiohttp
import pytest
import yarl
from transcoding_support import ScriptedInvoker, new_invoker, serve_things

invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


async def get(client: aiohttp.ClientSession, query: str) -> tuple[int, Any]:
    async with client.get(yarl.URL(f"/v1/things/q?{query}", encoded=True)) as response:
        return response.status, await response.json()


def attribute(message: Any, path: str) -> Any:
    for name in path.split("."):
        message = getattr(message, name)
    return message


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ("i32=-2147483648", "i32", -(2**31)),
        ("i64=-9007199254740993", "i64", -9007199254740993),
        ("u32=4294967295", "u32", 2**32 - 1),
        ("u64=18446744073709551615", "u64", 2**64 - 1),
        ("s32=-7", "s32", -7),
        ("s64=-8", "s64", -8),
        ("f32=9", "f32", 9),
        ("f64=10", "f64", 10),
        ("sf32=-11", "sf32", -11),
        ("sf64=-12", "sf64", -12),
        ("fl=1.5", "fl", 1.5),
        ("fl=Infinity", "fl", math.inf),
        ("db=-2.25e10", "db", -2.25e10),
        ("db=-Infinity", "db", -math.inf),
        ("flag=true", "flag", True),
        ("flag=false", "flag", False),
        ("data=aGk%2B%2Fw%3D%3D", "data", b"hi>\xff"),  # standard alphabet, padded
        ("data=aGk-_w", "data", b"hi>\xff"),  # URL-safe alphabet, no padding
        ("color=GREEN", "color", 2),
        ("color=1", "color", 1),
        ("maybe=0", "maybe", 0),
        ("text=t", "text", "t"),
        ("custom_named=proto", "custom_named", "proto"),  # the protobuf name...
        ("renamed=json", "custom_named", "json"),  # ... and the JSON name
        ("inner.name=a+b%20c", "inner.name", "a b c"),  # form decoding: + is a space
        ("inner.deeper.big=5", "inner.deeper.big", 5),
        ("inner.deeper.shade=RED", "inner.deeper.shade", 1),
        ("wstr=hello", "wstr.value", "hello"),
        ("wi64=64", "wi64.value", 64),
        ("wbool=false", "wbool.value", False),
        ("wdbl=2.5", "wdbl.value", 2.5),
        ("ts=2024-01-02T03:04:05Z", "ts.seconds", 1704164645),
        ("dur=1.5s", "dur.nanos", 500_000_000),
        ("mask=a.b,cD", "mask.paths", ["a.b", "c_d"]),
    ],
)
async def test_scalar_parameters(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, query: str, field: str, expected: object
) -> None:
    status, body = await get(client, query)
    assert status == 200, body
    value = attribute(invoker.last[1], field)
    assert (list(value) if field == "mask.paths" else value) == expected


async def test_nan(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, body = await get(client, "db=NaN")
    assert status == 200
    assert math.isnan(invoker.last[1].db)
    assert body["db"] == "NaN"


async def test_presence_of_optional_and_wrapper_fields(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await get(client, "maybe=0&wstr=")
    assert status == 200
    request = invoker.last[1]
    assert request.HasField("maybe")
    assert request.HasField("wstr")
    assert not request.HasField("wi64")


async def test_repeated_parameters_append_in_order(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await get(client, "tags=b&nums=3&tags=a&nums=-1&colors=RED&colors=2&tags=c")
    assert status == 200
    request = invoker.last[1]
    assert (list(request.tags), list(request.nums), list(request.colors)) == (["b", "a", "c"], [3, -1], [1, 2])


async def test_the_path_overrides_the_query(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await get(client, "id=from-query")
    assert status == 200
    assert invoker.last[1].id == "q"


async def test_body_star_ignores_the_query(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.post("/v1/things?i32=5&nonsense=1", json={"i32": 1}) as response:
        assert response.status == 200
    assert invoker.last[1].i32 == 1


async def test_body_less_binding_ignores_a_body(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.get("/v1/things/q?i32=2", data=b"not json", headers={"Content-Type": "text/plain"}) as response:
        assert response.status == 200
    assert invoker.last[1].i32 == 2


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("nope=1", "nope"),  # no such field
        ("inner.nope=1", "nope"),
        ("inner=x", "message field"),
        ("extra=x", "message field"),  # Struct is a message, not a scalar
        ("labels=x", "map field"),
        ("inners=x", "repeated message"),
        ("inners.name=x", "repeated"),
        ("id.x=1", "not a message"),
        ("i32=1&i32=2", "2 times"),
        ("i32=3000000000", "i32"),
        ("i32=1.5", "i32"),
        ("u32=-1", "u32"),
        ("i64=12abc", "i64"),
        ("flag=yes", "true or false"),
        ("flag=1", "true or false"),
        ("color=PURPLE", "PURPLE"),
        ("data=%21%21", "data"),
        ("fl=abc", "fl"),
        ("ts=yesterday", "ts"),
        ("wbool=maybe", "true or false"),
    ],
)
async def test_bad_parameters_are_400(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, query: str, mentions: str
) -> None:
    status, body = await get(client, query)
    assert (status, body["code"]) == (400, 3)
    assert mentions in body["message"]
    assert invoker.calls == []
