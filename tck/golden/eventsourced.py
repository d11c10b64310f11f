"""Fixed event-sourced scenarios from the upstream TCK, as exact exchanges with EventSourcedTckModel."""

from __future__ import annotations

from cloudstate import entity_pb2
from cloudstate import event_sourced_pb2 as pb
from cloudstate.tck.model import eventsourced_pb2 as tck
from google.protobuf import any_pb2

from tck.checks import Check, Recorder
from tck.golden.exchange import Exchange, Scenario
from tck.sdk.driver import UserFunction
from tck.wire.common import pack

MODEL, TWO = "cloudstate.tck.model.EventSourcedTckModel", "cloudstate.tck.model.EventSourcedTwo"
Stream = Exchange[pb.EventSourcedStreamOut]


def init(entity_id: str, snapshot: tuple[int, str] | None = None, *events: str) -> list[pb.EventSourcedStreamIn]:
    message = pb.EventSourcedInit(service_name=MODEL, entity_id=entity_id)
    start = 0
    if snapshot is not None:
        start = snapshot[0]
        message.snapshot.CopyFrom(pb.EventSourcedSnapshot(snapshot_sequence=start, snapshot=persisted(snapshot[1])))
    replay = [pb.EventSourcedEvent(sequence=start + i, payload=persisted(v)) for i, v in enumerate(events, start=1)]
    return [pb.EventSourcedStreamIn(init=message), *(pb.EventSourcedStreamIn(event=e) for e in replay)]


def persisted(value: str) -> any_pb2.Any:
    return pack(tck.Persisted(value=value))


def command(command_id: int, entity_id: str, *actions: tck.RequestAction) -> pb.EventSourcedStreamIn:
    payload = pack(tck.Request(id=entity_id, actions=actions))
    return pb.EventSourcedStreamIn(
        command=entity_pb2.Command(entity_id=entity_id, id=command_id, name="Process", payload=payload)
    )


def emit(*values: str) -> list[tck.RequestAction]:
    return [tck.RequestAction(emit=tck.Emit(value=v)) for v in values]


def effect(entity_id: str, synchronous: bool) -> entity_pb2.SideEffect:
    payload = pack(tck.Request(id=entity_id))
    return entity_pb2.SideEffect(service_name=TWO, command_name="Call", payload=payload, synchronous=synchronous)


def answer(
    command_id: int,
    action: entity_pb2.ClientAction,
    events: str = "",
    snapshot: str | None = None,
    effects: tuple[entity_pb2.SideEffect, ...] = (),
) -> pb.EventSourcedStreamOut:
    reply = pb.EventSourcedReply(
        command_id=command_id, client_action=action, events=[persisted(e) for e in events], side_effects=effects
    )
    if snapshot is not None:
        reply.snapshot.CopyFrom(persisted(snapshot))
    return pb.EventSourcedStreamOut(reply=reply)


def state(value: str) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(tck.Response(message=value))))


def open_stream(uf: UserFunction, rec: Recorder, check: Check, messages: list[pb.EventSourcedStreamIn]) -> Stream:
    stream = Exchange(rec, check, uf.event_sourced())
    stream.send(*messages)
    return stream


SNAPSHOTS = Check("golden.es.snapshots", ("ES-032", "ES-027", "TCKM-033", "TCKM-034"), "snapshots every 5 events")


def snapshots_every_five_events(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, SNAPSHOTS, init("snap"))
    s.send(command(1, "snap", *emit("A", "B", "C")))
    s.expect(answer(1, state("ABC"), "ABC"))
    s.send(command(2, "snap", *emit("D")))
    s.expect(answer(2, state("ABCD"), "D"))
    s.send(command(3, "snap", *emit("E")))  # event 5 alone: a snapshot
    s.expect(answer(3, state("ABCDE"), "E", "ABCDE"))
    s.send(command(4, "snap", *emit("F")))
    s.expect(answer(4, state("ABCDEF"), "F"))
    s.send(command(5, "snap", *emit(*"GHIJKLMN")))  # events 7 to 14: one snapshot, after event 14
    s.expect(answer(5, state("ABCDEFGHIJKLMN"), "GHIJKLMN", "ABCDEFGHIJKLMN"))
    s.end()


RECOVERY = Check("golden.es.recovery", ("ES-014", "ES-020", "ES-021", "TCKM-022", "TCKM-023"), "init from a snapshot")


def recovery_from_snapshot_and_events(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, RECOVERY, init("rec", (5, "ABCDE"), "F", "G"))
    s.send(command(1, "rec"))
    s.expect(answer(1, state("ABCDEFG")))
    s.send(command(2, "rec", *emit("H", "I", "J")))
    s.expect(answer(2, state("ABCDEFGHIJ"), "HIJ", "ABCDEFGHIJ"))
    s.end()


FORWARD = Check("golden.es.forward", ("TCKM-026", "TCKM-027", "TCKM-030"), "a forward with events and side effects")


def forward_with_events_and_effects(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, FORWARD, init("fwd"))
    s.send(command(1, "fwd", *emit("A", "B", "C")))
    s.expect(answer(1, state("ABC"), "ABC"))
    actions = [*emit("D"), tck.RequestAction(effect=tck.Effect(id="x")), *emit("E")]
    s.send(command(2, "fwd", *actions, tck.RequestAction(forward=tck.Forward(id="t"))))
    target = entity_pb2.Forward(service_name=TWO, command_name="Call", payload=pack(tck.Request(id="t")))
    s.expect(answer(2, entity_pb2.ClientAction(forward=target), "DE", "ABCDE", (effect("x", False),)))
    s.end()


FAILURE = Check("golden.es.failure", ("FAIL-007", "ES-041", "TCKM-028", "TCKM-031", "TCKM-032"), "a failure drops all")


def failure_drops_events_and_effects(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, FAILURE, init("fail"))
    s.send(command(1, "fail", *emit("A")))
    s.expect(answer(1, state("A"), "A"))
    boom = [
        tck.RequestAction(effect=tck.Effect(id="z", synchronous=True)),
        tck.RequestAction(fail=tck.Fail(message="boom")),
    ]
    s.send(command(2, "fail", *emit("B"), *boom, *emit("C")))
    failure = entity_pb2.ClientAction(failure=entity_pb2.Failure(description="boom"))
    observed = s.expect(answer(2, failure))
    next_id = 3
    if observed.reply.client_action.failure.restart:
        s.end()
        s = open_stream(uf, rec, FAILURE, init("fail", None, "A"))
        next_id = 1
    s.send(command(next_id, "fail"))
    s.expect(answer(next_id, state("A")))
    s.end()


REHYDRATION = Check("golden.es.rehydration", ("TRN-031", "ES-020", "TRN-026"), "rehydration after passivation")


def rehydration_after_passivation(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, REHYDRATION, init("hyd"))
    s.send(command(1, "hyd", *emit("A", "B")))
    s.expect(answer(1, state("AB"), "AB"))
    s.end()
    s = open_stream(uf, rec, REHYDRATION, init("hyd", None, "A", "B"))
    s.send(command(1, "hyd", *emit("C")))
    s.expect(answer(1, state("ABC"), "C"))
    s.end()


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        snapshots_every_five_events,
        recovery_from_snapshot_and_events,
        forward_with_events_and_effects,
        failure_drops_events_and_effects,
        rehydration_after_passivation,
    )
}
