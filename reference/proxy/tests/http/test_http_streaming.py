"""Server streaming over a real server: newline-delimited JSON, Server-Sent Events, raw HttpBody chunks, failures
before and during the stream, and cancellation when the client leaves (spec/13-http.md, HTTP-042 to HTTP-049)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cloudstate_proxy.errors import EntityFailure, UserFunctionUnavailable
from cloudstate_proxy.invoking import Call, MetadataEntry, Response
from transcoding_support import ScriptedInvoker, new, new_invoker, serve_things

SSE = {"Accept": "text/html, text/event-stream;q=0.9"}


invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


def thing(number: int) -> Response:
    return Response(new("httptest.Thing", id=f"t{number}", i64=number))


def script(invoker: ScriptedInvoker, method: str, *steps: Response | Exception) -> None:
    """Make ``method`` stream ``steps``: responses are sent, an exception ends the stream."""

    async def stream(call: Call, request: Any) -> AsyncIterator[Response]:
        for step in steps:
            if isinstance(step, Exception):
                raise step
            yield step

    invoker.stream_scripts[method] = stream


async def test_newline_delimited_json(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Watch", thing(1), thing(2), thing(3))
    async with client.get("/v1/things/w:watch") as response:
        assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
        text = await response.text()
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["id"], line["i64"]) for line in lines] == [("t1", "1"), ("t2", "2"), ("t3", "3")]
    assert (invoker.last[0].method, invoker.last[1].id) == ("Watch", "w")


async def test_server_sent_events(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Watch", thing(1), thing(2))
    async with client.get("/v1/things/w:watch", headers=SSE) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        text = await response.text()
    events = text.split("\n\n")
    assert events[-1] == ""
    assert [json.loads(event.removeprefix("data: "))["id"] for event in events[:-1]] == ["t1", "t2"]
    assert all(event.startswith("data: {") and "\n" not in event for event in events[:-1])


@pytest.mark.parametrize("headers", [{}, SSE])
async def test_each_message_is_sent_as_it_arrives(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, headers: dict[str, str]
) -> None:
    first_seen = asyncio.Event()

    async def stream(call: Call, request: Any) -> AsyncIterator[Response]:
        yield thing(1)
        await first_seen.wait()  # the second message exists only after the client has read the first
        yield thing(2)

    invoker.stream_scripts["Watch"] = stream
    async with client.get("/v1/things/w:watch", headers=headers) as response:
        first = await response.content.readline()
        assert b'"t1"' in first
        first_seen.set()
        assert b'"t2"' in await response.content.read()


@pytest.mark.parametrize(
    ("headers", "last"),
    [
        ({}, '{"error":{"code":14,"message":"gone","details":[]}}\n'),
        (SSE, 'event: error\ndata: {"code":14,"message":"gone","details":[]}\n\n'),
    ],
)
async def test_failure_mid_stream_ends_with_an_error(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, headers: dict[str, str], last: str
) -> None:
    script(invoker, "Watch", thing(1), UserFunctionUnavailable("gone"), thing(2))
    async with client.get("/v1/things/w:watch", headers=headers) as response:
        assert response.status == 200
        text = await response.text()
    assert text.endswith(last)
    assert (text.count('"t1"'), text.count('"t2"')) == (1, 0)


async def test_unexpected_exception_mid_stream_is_internal(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    script(invoker, "Watch", thing(1), RuntimeError("secret detail"))
    async with client.get("/v1/things/w:watch") as response:
        lines = (await response.text()).splitlines()
    error = json.loads(lines[-1])["error"]
    assert error["code"] == 13
    assert "secret" not in error["message"]


@pytest.mark.parametrize("headers", [{}, SSE])
async def test_failure_before_the_first_message_is_an_error_answer(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, headers: dict[str, str]
) -> None:
    script(invoker, "Watch", EntityFailure("crashed"))
    async with client.get("/v1/things/w:watch", headers=headers) as response:
        assert (response.status, response.headers["Content-Type"]) == (500, "application/json")
        assert await response.json() == {"code": 13, "message": "crashed", "details": []}


async def test_empty_stream(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Watch")
    async with client.get("/v1/things/w:watch") as response:
        assert (response.status, await response.read()) == (200, b"")


async def test_headers_come_from_the_first_reply_only(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    first = Response(thing(1).message, (MetadataEntry("x-first", "1"),))
    second = Response(thing(2).message, (MetadataEntry("x-second", "2"),))
    script(invoker, "Watch", first, second)
    async with client.get("/v1/things/w:watch") as response:
        await response.read()
        assert response.headers["x-first"] == "1"
        assert "x-second" not in response.headers


async def test_default_route_streams_too(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.post("/httptest.Things/PlainStream", json={"id": "p"}) as response:
        lines = (await response.text()).splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["p", "p", "p"]


def chunk(data: bytes, content_type: str = "text/plain") -> Response:
    return Response(new("google.api.HttpBody", content_type=content_type, data=data))


async def test_http_body_stream_is_raw(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Stream", chunk(b"one,", "text/csv"), chunk(b"two", "ignored/after-the-first"))
    async with client.get("/v1/stream/s") as response:
        assert (response.headers["Content-Type"], await response.read()) == ("text/csv", b"one,two")


async def test_http_body_stream_as_events(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Stream", chunk(b"one"))
    async with client.get("/v1/stream/s", headers=SSE) as response:
        text = await response.text()
    assert json.loads(text.removeprefix("data: ")) == {"contentType": "text/plain", "data": "b25l"}


async def test_raw_stream_failure_cuts_the_body(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    script(invoker, "Stream", chunk(b"partial"), UserFunctionUnavailable("gone"))
    async with client.get("/v1/stream/s") as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_leaving_client_cancels_the_call(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    closed = asyncio.Event()
    forever = asyncio.Event()

    async def stream(call: Call, request: Any) -> AsyncIterator[Response]:
        try:
            yield thing(1)
            await forever.wait()
            yield thing(2)
        finally:
            closed.set()

    invoker.stream_scripts["Watch"] = stream
    async with client.get("/v1/things/w:watch") as response:
        assert b'"t1"' in await response.content.readline()
        response.close()  # drop the connection mid-stream
    await asyncio.wait_for(closed.wait(), timeout=10)
