"""The EventSourced protocol, driven by a client that plays the proxy (spec/09-event-sourced.md)."""

from __future__ import annotations

from collections.abc import Callable

from cloudstate import event_sourced_pb2 as es
from cloudstate.tck.model import eventsourced_pb2 as pb
from cloudstate_sdk import unpack
from sdk_harness import Stream, es_command, es_event, es_init

MODEL = "cloudstate.tck.model.EventSourcedTckModel"
TWO = "cloudstate.tck.model.EventSourcedTwo"
OpenStream = Callable[[], Stream]


def request(entity_id: str, *steps: str) -> pb.Request:
    """Actions from a compact script: "e:X" emit X, "f:ID" forward, "s:ID"/"a:ID" sync/async effect, "x:MSG" fail."""
    actions = []
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "e":
            actions.append(pb.RequestAction(emit=pb.Emit(value=arg)))
        elif kind == "f":
            actions.append(pb.RequestAction(forward=pb.Forward(id=arg)))
        elif kind in "sa":
            actions.append(pb.RequestAction(effect=pb.Effect(id=arg, synchronous=kind == "s")))
        elif kind == "x":
            actions.append(pb.RequestAction(fail=pb.Fail(message=arg)))
    return pb.Request(id=entity_id, actions=actions)


async def process(stream: Stream, command_id: int, *steps: str, entity_id: str = "e1") -> es.EventSourcedReply:
    await stream.send(es_command(command_id, "Process", request(entity_id, *steps), entity_id))
    out = await stream.receive()
    assert out.WhichOneof("message") == "reply", out
    reply: es.EventSourcedReply = out.reply
    assert reply.command_id == command_id
    return reply


def reply_message(reply: es.EventSourcedReply) -> str:
    return str(unpack(reply.client_action.reply.payload).message)


def values(anys: object) -> list[str]:
    return [unpack(a).value for a in anys]  # type: ignore[attr-defined]


async def test_init_without_snapshot_then_commands(es_stream: OpenStream) -> None:
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1"))
    first = await process(stream, 1, "e:A", "e:B")
    assert reply_message(first) == "AB"
    assert values(first.events) == ["A", "B"]
    assert not first.HasField("snapshot")
    second = await process(stream, 2)
    assert reply_message(second) == "AB"
    assert not second.events
    assert await stream.close() == []


async def test_init_with_snapshot_and_replay(es_stream: OpenStream) -> None:
    """The example of spec/09: snapshot "ABCDE" at 5, events 6 and 7, then a snapshot at 10."""
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1", pb.Persisted(value="ABCDE"), sequence=5))
    await stream.send(es_event(6, pb.Persisted(value="F")))
    await stream.send(es_event(7, pb.Persisted(value="G")))
    first = await process(stream, 1, "e:H", "e:I")
    assert reply_message(first) == "ABCDEFGHI"
    assert not first.HasField("snapshot")
    second = await process(stream, 2, "e:J")
    assert reply_message(second) == "ABCDEFGHIJ"
    assert unpack(second.snapshot) == pb.Persisted(value="ABCDEFGHIJ")


async def test_replay_without_snapshot(es_stream: OpenStream) -> None:
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1"))
    for sequence, value in enumerate("XYZ", start=1):
        await stream.send(es_event(sequence, pb.Persisted(value=value)))
    reply = await process(stream, 1, "e:!")
    assert reply_message(reply) == "XYZ!"


async def test_snapshot_every_five_events(es_stream: OpenStream) -> None:
    """ES-000:everyn: one snapshot per reply that crosses a multiple of 5, after all its events."""
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1"))
    assert not (await process(stream, 1, "e:A", "e:B", "e:C")).HasField("snapshot")
    crossing = await process(stream, 2, *(f"e:{c}" for c in "DEFGHIJK"))  # events 4..11
    assert unpack(crossing.snapshot).value == "ABCDEFGHIJK"
    assert not (await process(stream, 3, "e:L")).HasField("snapshot")  # 12
    assert not (await process(stream, 4)).HasField("snapshot")


async def test_forward_and_effects(es_stream: OpenStream) -> None:
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1"))
    reply = await process(stream, 1, "e:A", "s:one", "a:two", "f:other")
    forward = reply.client_action.forward
    assert (forward.service_name, forward.command_name) == (TWO, "Call")
    assert unpack(forward.payload) == pb.Request(id="other")
    assert values(reply.events) == ["A"]
    effects = [(e.service_name, e.command_name, unpack(e.payload).id, e.synchronous) for e in reply.side_effects]
    assert effects == [(TWO, "Call", "one", True), (TWO, "Call", "two", False)]


async def test_failure_rolls_back_and_carries_nothing(es_stream: OpenStream) -> None:
    """ES-000:rollback: a failure after emit sends no events/snapshot/effects and restores the state."""
    stream = es_stream()
    await stream.send(es_init(MODEL, "e1"))
    await process(stream, 1, "e:A", "e:B", "e:C", "e:D")
    failed = await process(stream, 2, "e:E", "s:x", "x:no E today", "e:ignored")
    assert failed.client_action.failure.description == "no E today"
    assert failed.client_action.failure.command_id == 2
    assert not failed.client_action.failure.restart
    assert not failed.events
    assert not failed.side_effects
    assert not failed.HasField("snapshot")
    # The sequence number was rolled back too: the next event is 5 again and snapshots.
    after = await process(stream, 3, "e:e")
    assert reply_message(after) == "ABCDe"
    assert unpack(after.snapshot).value == "ABCDe"


async def test_metadata_reaches_the_context_and_stream_ends_on_half_close(es_stream: OpenStream) -> None:
    stream = es_stream()
    await stream.send(es_init(TWO, "t1"))
    await stream.send(es_command(1, "Call", pb.Request(id="t1"), "t1", metadata={"x-trace": "abc"}))
    reply = (await stream.receive()).reply
    assert unpack(reply.client_action.reply.payload) == pb.Response()
    assert await stream.close() == []
