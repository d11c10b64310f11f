"""What the proxy does when a CRDT user function breaks the protocol, crashes, stalls or holds an outdated type."""

from __future__ import annotations

import grpc
import pytest
from cloudstate import crdt_pb2, entity_pb2
from crdt_fake import Cmd, pack
from crdt_harness import failure, gcounter, pncounter, running, update, wait_until

FLAG_ON = crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True))
FLAG_OFF = crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=False))


def _failing_with_extras() -> crdt_pb2.CrdtReply:
    reply = update(gcounter(9))
    reply.client_action.failure.description = "refused"
    reply.side_effects.add(service_name="crdttest.Counter", command_name="Do")
    return reply


VIOLATIONS = {
    "wrong delta type": (update(pncounter(1)), "", "pncounter delta for a gcounter value"),  # CRDT-064
    "delta without type": (update(crdt_pb2.CrdtDelta()), "", "no type"),  # CRDT-080
    "unknown command id": (crdt_pb2.CrdtReply(), "wrongid", "reply for command 102"),  # FAIL-030
    "no client action": (crdt_pb2.CrdtReply(), "noaction", "has no client action"),  # CMD-016
    "streamed reply to a unary command": (crdt_pb2.CrdtReply(streamed=True), "", "streamed reply"),  # CRDT-045
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
async def test_fail_035_a_violation_is_reported_fails_the_command_and_restarts_the_stream(case: str) -> None:
    reply, script, named = VIOLATIONS[case]
    async with running() as env:
        await env.do("v", update(gcounter(1)))
        code, details = await failure(env.do("v", reply, script))
        assert code == grpc.StatusCode.INTERNAL
        assert "protocol violation" in details
        assert "'v'" in details
        await wait_until(lambda: any(named in e for e in env.discovery.errors))
        assert (await env.do("v")).value == "1"  # nothing of the violating reply was applied (FAIL-034)
        streams = env.streams("v")
        assert len(streams) == 2
        assert streams[1].inbound[0].init.delta == gcounter(1)  # a fresh stream from the replica


@pytest.mark.parametrize(
    ("message", "named"),
    [
        (crdt_pb2.CrdtStreamOut(streamed_message=crdt_pb2.CrdtStreamedMessage(command_id=42)), "command 42"),
        (crdt_pb2.CrdtStreamOut(stream_cancelled_response=crdt_pb2.CrdtStreamCancelledResponse(command_id=7)), "7"),
        (crdt_pb2.CrdtStreamOut(), "no message set"),
    ],
)
async def test_crdt_056_061_stray_messages_are_violations_and_end_streamed_calls(
    message: crdt_pb2.CrdtStreamOut, named: str
) -> None:
    async with running() as env:
        watch = env.watch("s", update(gcounter(1), streamed=True))
        assert (await watch.read()).value == "1"
        env.streams("s")[0].push(message)
        code, details = await failure(watch)
        assert code == grpc.StatusCode.INTERNAL  # CRDT-081
        assert "'s'" in details
        await wait_until(lambda: any(named in e and "protocol violation" in e for e in env.discovery.errors))
        assert (await env.do("s")).value == "1"


async def test_crdt_flag_002_a_flag_delta_of_false_switches_nothing_off_and_is_no_violation() -> None:
    async with running() as env:
        await env.do("f", update(FLAG_ON))
        await env.do("f", update(FLAG_OFF))
        stored = await env.store.crdts.load("counters", "f")
        assert stored is not None
        assert getattr(stored.state, "on", None) is True
        assert len(env.streams("f")) == 1
        assert env.discovery.errors == []


async def test_fail_008_a_failure_reply_keeps_nothing_but_the_failure() -> None:
    async with running() as env:
        await env.do("x", update(gcounter(1)))
        code, details = await failure(env.do("x", _failing_with_extras()))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "refused")
        assert (await env.do("x")).value == "1"  # on the same stream (FAIL-010)
        assert await env.count("x") == 1
        assert len(env.streams("x")) == 1
        assert any(e.startswith("warning: ") and "discarded" in e for e in env.discovery.errors)


async def test_fail_019_a_crash_fails_the_command_and_open_streamed_calls() -> None:
    async with running() as env:
        watch = env.watch("c", update(gcounter(1), streamed=True))
        await watch.read()
        code, details = await failure(env.do("c", script="crash"))
        assert code == grpc.StatusCode.INTERNAL
        assert "boom" in details
        assert (await failure(watch))[0] == grpc.StatusCode.INTERNAL
        assert (await env.do("c")).value == "1"  # started afresh from the replica


async def test_fail_028_a_relay_timeout_fails_the_command_and_restarts_the_stream() -> None:
    async with running(relay_timeout=0.3) as env:
        await env.do("t", update(gcounter(2)))
        code, details = await failure(env.do("t", script="hold:never"))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "'t'" in details
        assert (await env.do("t")).value == "2"
        assert len(env.streams("t")) == 2


async def test_a_cancellation_without_answer_times_out_and_restarts_the_stream() -> None:
    async with running(relay_timeout=0.3) as env:
        watch = env.watch("m", update(gcounter(1), streamed=True), script="mute")
        await watch.read()
        watch.cancel()
        await wait_until(lambda: len(env.streams("m")[0].kinds()) == 3)  # init, command, stream_cancelled
        await env.remote("m", gcounter(1))  # held back, and so is the next command, while the cancellation is out...
        assert (await env.do("m")).value == "2"  # ...until the relay timeout restarts the stream
        first, second = env.streams("m")
        assert first.deltas() == []
        assert second.inbound[0].init.delta == gcounter(2)


async def test_crdt_065_067_068_a_type_conflict_reinitialises_the_stream_of_the_losing_type() -> None:
    async with running() as env:
        watch = env.watch("k", update(FLAG_ON, streamed=True))
        await watch.read()
        await env.remote("k", gcounter(4), fresh=True)  # created elsewhere as a GCounter: the lower field number wins
        code, details = await failure(watch)
        assert code == grpc.StatusCode.UNAVAILABLE  # CRDT-066
        assert "re-initialised" in details
        await wait_until(lambda: len(env.streams("k")) == 2)
        first, second = env.streams("k")
        await wait_until(lambda: first.completed)  # half-closed, not cancelled
        assert second.inbound[0].init.delta == gcounter(4)
        assert (await env.do("k")).value == "4"
        assert any(e.startswith("warning: ") and "flag" in e and "gcounter" in e for e in env.discovery.errors)


async def test_a_reply_to_a_streamed_command_may_forward_and_the_answer_is_one_message() -> None:
    async with running() as env:
        reply = crdt_pb2.CrdtReply(streamed=False)
        reply.client_action.forward.CopyFrom(entity_pb2.Forward(service_name="crdttest.Counter", command_name="Do"))
        reply.client_action.forward.payload.CopyFrom(pack(Cmd(id="elsewhere")))
        assert [m.value async for m in env.watch("fw", reply)] == ["None"]  # the target's own (empty) value
