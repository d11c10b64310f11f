"""HTTP/JSON over cleartext HTTP/2 on the one public port, next to gRPC (spec/13-http.md HTTP-002, HTTP-003, HTTP-045,
HTTP-049; TRN-009), through the real front before a real transcoder and a real gRPC server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import h2.events
import pytest
from cloudstate_proxy.errors import UserFunctionUnavailable
from cloudstate_proxy.front import PREFACE, PortFront
from cloudstate_proxy.invoking import Call, Response
from h2c_support import ECHO, H2cClient, serve_front
from transcoding_support import ScriptedInvoker, new, new_invoker

JSON = (("content-type", "application/json"),)
SSE = (("accept", "text/event-stream"),)

invoker = pytest.fixture(new_invoker, name="invoker")


@pytest.fixture
async def front(invoker: ScriptedInvoker) -> AsyncIterator[PortFront]:
    async with serve_front(invoker) as started:
        yield started


@pytest.fixture
async def h2c(front: PortFront) -> AsyncIterator[H2cClient]:
    client = await H2cClient.connect(front.port)
    yield client
    await client.close()


async def over_http1(front: PortFront, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http:
        url, headers = f"http://127.0.0.1:{front.port}{path}", dict(JSON)
        async with http.request(method, url, data=body or None, headers=headers) as response:
            return response.status, response.headers["Content-Type"], await response.read()


@pytest.mark.parametrize(
    ("method", "path", "sent"),
    [
        ("GET", "/v1/things/abc", None),  # a declared binding, no body
        ("POST", "/v1/things", {"id": "x", "i64": "12", "inner": {"name": "n"}}),  # a declared binding, body "*"
        ("POST", "/httptest.Things/Plain", {"id": "d"}),  # the default route
    ],
)
async def test_h2c_answers_as_http1_does(front: PortFront, h2c: H2cClient, method: str, path: str, sent: Any) -> None:
    body = json.dumps(sent).encode() if sent is not None else b""
    answer = await h2c.request(method, path, body, JSON)
    assert (answer.status, answer.headers["content-type"], answer.body) == await over_http1(front, method, path, body)
    assert answer.status == 200
    assert not {"connection", "transfer-encoding", "keep-alive"} & set(answer.headers)  # HTTP/1.1's own: dropped


async def test_an_error_is_the_same_json_error(front: PortFront, h2c: H2cClient, invoker: ScriptedInvoker) -> None:
    async def fail(call: Call, request: Any) -> Response:
        raise UserFunctionUnavailable("down")

    invoker.unary_scripts["Get"] = fail
    answer = await h2c.request("GET", "/v1/things/x")
    assert (answer.status, json.loads(answer.body)) == (503, {"code": 14, "message": "down", "details": []})
    http1 = await over_http1(front, "GET", "/v1/things/x", b"")
    assert (answer.status, answer.headers["content-type"], answer.body) == http1


async def test_server_sent_events_arrive_one_by_one(h2c: H2cClient, invoker: ScriptedInvoker) -> None:
    first_seen = asyncio.Event()

    async def stream(call: Call, request: Any) -> AsyncIterator[Response]:
        yield Response(new("httptest.Thing", id="t1"))
        await first_seen.wait()  # the second message exists only once the client has the first
        yield Response(new("httptest.Thing", id="t2"))

    invoker.stream_scripts["Watch"] = stream
    stream_id = await h2c.start("GET", "/v1/things/w:watch", headers=SSE)
    head = await h2c.next(stream_id)
    assert isinstance(head, h2.events.ResponseReceived)
    assert ("content-type", "text/event-stream") in [(str(k), str(v)) for k, v in head.headers or ()]
    first = await h2c.next(stream_id)
    assert isinstance(first, h2.events.DataReceived)
    assert b'"t1"' in (first.data or b"")
    first_seen.set()
    rest = await h2c.answer(stream_id)
    assert (rest.body.count(b'"t1"'), rest.body.count(b'"t2"')) == (0, 1)


async def test_streams_of_one_connection_run_at_once(h2c: H2cClient, invoker: ScriptedInvoker) -> None:
    both_in = asyncio.Event()

    async def get(call: Call, request: Any) -> Response:
        if len(invoker.calls) == 2:
            both_in.set()
        await asyncio.wait_for(both_in.wait(), 10)  # neither is answered before the other has arrived
        return Response(request)

    invoker.unary_scripts["Get"] = get
    one, two = await h2c.start("GET", "/v1/things/one"), await h2c.start("GET", "/v1/things/two")
    answers = await asyncio.gather(h2c.answer(one), h2c.answer(two))
    assert [json.loads(answer.body)["id"] for answer in answers] == ["one", "two"]


async def test_a_body_larger_than_the_window_flows(h2c: H2cClient) -> None:
    tags = [f"tag-{n:06d}-" + "x" * 90 for n in range(3000)]  # about 300 KiB: several initial windows of 64 KiB
    body = json.dumps({"id": "big", "tags": tags}).encode()
    assert len(body) > 4 * 65_535
    answer = await h2c.request("POST", "/v1/things", body, JSON)
    assert answer.status == 200
    assert json.loads(answer.body)["tags"] == tags


async def test_grpc_is_spliced_to_the_grpc_server(front: PortFront) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{front.port}") as channel:
        say = channel.unary_unary(ECHO)
        assert await say(b"hello") == b"hello"
        assert await say(b"again") == b"again"


async def test_a_grpc_call_sent_before_the_servers_settings_is_spliced_too(h2c: H2cClient) -> None:
    # Unlike gRPC's own client, this one sends its call at once: the front's SETTINGS are acknowledged after it.
    grpc_headers = (("content-type", "application/grpc+proto"), ("te", "trailers"))
    answer = await h2c.request("POST", ECHO, b"\x00\x00\x00\x00\x02hi", grpc_headers)
    assert (answer.status, answer.headers["grpc-status"], answer.body) == (200, "0", b"\x00\x00\x00\x00\x02hi")


async def test_a_ping_before_the_first_request_is_answered(front: PortFront) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", front.port)
    settings, ping = bytes.fromhex("000000040000000000"), bytes.fromhex("000008060000000000") + b"12345678"
    writer.write(PREFACE + settings + ping)
    assert (
        await asyncio.wait_for(reader.readexactly(9 + 17), 10)
        == settings + bytes.fromhex("000008060100000000") + b"12345678"
    )
    writer.close()
    await writer.wait_closed()


async def test_grpc_on_an_http_json_connection_is_refused_with_a_reason(h2c: H2cClient) -> None:
    assert (await h2c.request("GET", "/v1/things/a")).status == 200
    grpc_headers = (("content-type", "application/grpc"), ("te", "trailers"))
    answer = await h2c.request("POST", ECHO, b"\x00\x00\x00\x00\x00", grpc_headers)
    assert (answer.status, answer.headers["grpc-status"]) == (200, "12")
    assert "separate connection" in answer.headers["grpc-message"]
    assert (await h2c.request("GET", "/v1/things/b")).status == 200  # the connection still serves HTTP/JSON


async def test_a_reset_stream_cancels_its_call(h2c: H2cClient, invoker: ScriptedInvoker) -> None:
    closed, forever = asyncio.Event(), asyncio.Event()

    async def stream(call: Call, request: Any) -> AsyncIterator[Response]:
        try:
            yield Response(new("httptest.Thing", id="t1"))
            await forever.wait()
            yield Response(new("httptest.Thing", id="t2"))
        finally:
            closed.set()

    invoker.stream_scripts["Watch"] = stream
    stream_id = await h2c.start("GET", "/v1/things/w:watch")
    assert isinstance(await h2c.next(stream_id), h2.events.ResponseReceived)
    assert isinstance(await h2c.next(stream_id), h2.events.DataReceived)
    h2c.reset(stream_id)
    await asyncio.wait_for(closed.wait(), 10)
    assert (await h2c.request("GET", "/v1/things/after")).status == 200  # the connection lives on


async def test_shutdown_sends_goaway_and_finishes_the_streams_in_flight(
    front: PortFront, h2c: H2cClient, invoker: ScriptedInvoker
) -> None:
    gate = asyncio.Event()

    async def get(call: Call, request: Any) -> Response:
        await gate.wait()
        return Response(request)

    idle = await H2cClient.connect(front.port)
    assert (await idle.request("GET", "/v1/things/done")).status == 200
    invoker.unary_scripts["Get"] = get
    busy = await h2c.start("GET", "/v1/things/busy")
    while len(invoker.calls) < 2:
        await asyncio.sleep(0.01)
    closing = asyncio.create_task(front.close(30.0))
    await idle.closed()  # nothing in flight: closed at once
    while not h2c.goaways:
        await asyncio.sleep(0.01)
    assert h2c.goaways == [busy]  # no new streams, but the one in flight is served
    gate.set()
    answer = await h2c.answer(busy)
    assert (answer.status, json.loads(answer.body)["id"]) == (200, "busy")
    await h2c.closed()
    await asyncio.wait_for(closing, 10)
    await idle.close()
