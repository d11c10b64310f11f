"""Streamed CRDT commands over gRPC: open calls, streamed messages, end of stream, client cancellation."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import grpc
from cloudstate import crdt_pb2, entity_pb2
from crdt_fake import SERVICE, Cmd, Out, pack
from crdt_harness import failure, gcounter, running, update, wait_until


def message(command_id: int, value: str | None, end: bool = False) -> crdt_pb2.CrdtStreamOut:
    streamed = crdt_pb2.CrdtStreamedMessage(command_id=command_id, end_stream=end)
    if value is not None:
        streamed.client_action.reply.payload.CopyFrom(pack(Out(value=value)))
    return crdt_pb2.CrdtStreamOut(streamed_message=streamed)


async def test_crdt_048_052_053_a_streamed_call_relays_messages_until_end_stream() -> None:
    async with running() as env:
        watch = env.watch("s", update(gcounter(1), streamed=True))
        assert (await watch.read()).value == "1"  # the reply's payload comes first (CRDT-048)
        (stream,) = env.streams("s")
        assert stream.inbound[1].command.streamed  # CMD-005
        stream.push(message(1, None))  # a message with nothing for the client
        stream.push(message(1, "two"))
        stream.push(message(1, "three", end=True))
        assert [(await watch.read()).value, (await watch.read()).value] == ["two", "three"]
        assert await watch.read() == grpc.aio.EOF
        assert await watch.code() == grpc.StatusCode.OK


async def test_crdt_046_a_non_streamed_reply_to_a_streamed_command_completes_the_call() -> None:
    async with running() as env:
        watch = env.watch("n", update(gcounter(2)))
        assert [m.value async for m in watch] == ["2"]


async def test_crdt_049_a_failure_in_a_streamed_message_ends_the_call() -> None:
    async with running() as env:
        watch = env.watch("f", crdt_pb2.CrdtReply(streamed=True), script="noaction")
        await wait_until(lambda: env.streams("f") and len(env.streams("f")[0].inbound) == 2)
        (stream,) = env.streams("f")
        await asyncio.sleep(0.05)  # the reply that opens the call is on its way
        failed = crdt_pb2.CrdtStreamedMessage(command_id=1)
        failed.client_action.failure.description = "no more"
        stream.push(crdt_pb2.CrdtStreamOut(streamed_message=failed))
        code, details = await failure(watch)
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "no more")


async def test_crdt_057_060_cancellation_applies_the_state_action_and_runs_the_side_effects() -> None:
    async with running() as env:
        effect = entity_pb2.SideEffect(service_name=SERVICE, command_name="Do")
        effect.payload.CopyFrom(pack(Cmd(id="effect-target")))
        on_cancel = crdt_pb2.CrdtStreamCancelledResponse(
            state_action=crdt_pb2.CrdtStateAction(update=gcounter(10)), side_effects=[effect]
        )
        watch = env.watch("c", update(gcounter(1), streamed=True), on_cancel=on_cancel)
        assert (await watch.read()).value == "1"
        watch.cancel()
        (stream,) = env.streams("c")
        await wait_until(lambda: "stream_cancelled" in stream.kinds())
        cancelled = stream.inbound[-1].stream_cancelled
        assert (cancelled.entity_id, cancelled.id) == ("c", 1)
        await wait_until(lambda: env.streams("effect-target"))  # the side effect ran
        assert await env.count("c") == 11
        stream.push(message(1, "late"))  # after StreamCancelled: discarded quietly (CRDT-055)
        assert (await env.do("c")).value == "11"
        assert env.discovery.errors == []


async def test_crdt_057_a_client_leaving_before_the_call_opens_is_cancelled_when_it_opens() -> None:
    async with running() as env:
        watch = env.watch("early", update(gcounter(1), streamed=True), script="hold:open")
        await wait_until(lambda: env.streams("early") and len(env.streams("early")[0].inbound) == 2)
        (stream,) = env.streams("early")
        watch.cancel()
        await asyncio.sleep(0.05)
        env.uf.gate("open").set()
        await wait_until(lambda: "stream_cancelled" in stream.kinds())
        assert (await env.do("early")).value == "1"


async def test_pass_009_no_passivation_while_a_streamed_call_is_open() -> None:
    async with running(passivation_ms=50) as env:
        watch = env.watch("p", update(gcounter(1), streamed=True))
        await watch.read()
        (stream,) = env.streams("p")
        await asyncio.sleep(0.3)  # six idle timeouts
        assert not stream.completed
        watch.cancel()
        await wait_until(lambda: stream.completed)  # passivated once the call is gone


async def test_http_sse_streamed_call_and_cancellation_by_disconnecting() -> None:
    async with running() as env:
        assert env.proxy.serving is not None
        url = f"http://127.0.0.1:{env.proxy.serving.http_port}/{SERVICE}/Watch"
        reply = update(gcounter(3), streamed=True).SerializeToString()
        body = {"id": "h", "reply": base64.b64encode(reply).decode()}
        async with aiohttp.ClientSession() as http:
            response = await http.post(url, json=body, headers={"Accept": "text/event-stream"})
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            first = await response.content.readuntil(b"\n\n")
            assert first == b'data: {"value":"3"}\n\n'
            (stream,) = env.streams("h")
            stream.push(message(1, "four"))
            assert await response.content.readuntil(b"\n\n") == b'data: {"value":"four"}\n\n'
            response.close()  # the client goes away
        await wait_until(lambda: "stream_cancelled" in stream.kinds())
