"""Fixed value-entity scenarios from the upstream TCK, as exact exchanges with ValueEntityTckModel."""

from __future__ import annotations

from cloudstate import entity_pb2
from cloudstate import value_entity_pb2 as pb
from cloudstate.tck.model import valueentity_pb2 as tck

from tck.checks import Check, Recorder
from tck.golden.exchange import Exchange, Scenario
from tck.sdk.driver import UserFunction
from tck.wire.common import pack

MODEL, TWO = "cloudstate.tck.model.valueentity.ValueEntityTckModel", "cloudstate.tck.model.valueentity.ValueEntityTwo"
Stream = Exchange[pb.ValueEntityStreamOut]
UPDATE, DELETE = "update", "delete"


def open_stream(uf: UserFunction, rec: Recorder, check: Check, entity_id: str, stored: str | None = None) -> Stream:
    init = pb.ValueEntityInit(service_name=MODEL, entity_id=entity_id, state=pb.ValueEntityInitState())
    if stored is not None:
        init.state.value.CopyFrom(pack(tck.Persisted(value=stored)))
    stream = Exchange(rec, check, uf.value_entity())
    stream.send(pb.ValueEntityStreamIn(init=init))
    return stream


def command(command_id: int, entity_id: str, *actions: tck.RequestAction) -> pb.ValueEntityStreamIn:
    payload = pack(tck.Request(id=entity_id, actions=actions))
    return pb.ValueEntityStreamIn(
        command=entity_pb2.Command(entity_id=entity_id, id=command_id, name="Process", payload=payload)
    )


def update(value: str) -> tck.RequestAction:
    return tck.RequestAction(update=tck.Update(value=value))


def delete() -> tck.RequestAction:
    return tck.RequestAction(delete=tck.Delete())


def answer(
    command_id: int,
    action: entity_pb2.ClientAction,
    change: str | None = None,
    effects: tuple[entity_pb2.SideEffect, ...] = (),
) -> pb.ValueEntityStreamOut:
    """A reply; ``change`` is None (no state action), DELETE, or the updated value."""
    reply = pb.ValueEntityReply(command_id=command_id, client_action=action, side_effects=effects)
    if change == DELETE:
        reply.state_action.delete.SetInParent()
    elif change is not None:
        reply.state_action.update.value.CopyFrom(pack(tck.Persisted(value=change)))
    return pb.ValueEntityStreamOut(reply=reply)


def state(value: str) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(tck.Response(message=value))))


LAST_WINS = Check("golden.ve.last_wins", ("VE-016", "TCKM-041"), "the last update or delete is the state action")


def last_update_or_delete_wins(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, LAST_WINS, "lw")
    s.send(command(1, "lw", update("A"), update("B"), update("C")))
    s.expect(answer(1, state("C"), "C"))
    s.send(command(2, "lw", update("A"), delete(), update("B")))
    s.expect(answer(2, state("B"), "B"))
    s.send(command(3, "lw", update("A"), update("B"), delete()))
    s.expect(answer(3, state(""), DELETE))
    s.send(command(4, "lw"))
    s.expect(answer(4, state("")))
    s.end()


REHYDRATION = Check("golden.ve.rehydration", ("VE-010", "VE-011", "TRN-031"), "init carries the stored state")


def rehydration_after_passivation(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, REHYDRATION, "hyd")
    s.send(command(1, "hyd", update("one")))
    s.expect(answer(1, state("one"), "one"))
    s.end()
    s = open_stream(uf, rec, REHYDRATION, "hyd", "one")
    s.send(command(1, "hyd"))
    s.expect(answer(1, state("one")))
    s.end()


FORWARD = Check("golden.ve.forward", ("TCKM-042", "TCKM-043"), "a forward with an update and side effects")


def forward_with_update_and_effects(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, FORWARD, "fwd")
    effect = tck.RequestAction(effect=tck.Effect(id="x", synchronous=True))
    s.send(command(1, "fwd", update("X"), effect, tck.RequestAction(forward=tck.Forward(id="t"))))
    target = entity_pb2.Forward(service_name=TWO, command_name="Call", payload=pack(tck.Request(id="t")))
    side = entity_pb2.SideEffect(
        service_name=TWO, command_name="Call", payload=pack(tck.Request(id="x")), synchronous=True
    )
    s.expect(answer(1, entity_pb2.ClientAction(forward=target), "X", (side,)))
    s.end()


FAILURE = Check("golden.ve.failure", ("FAIL-007", "VE-026", "TCKM-044", "TCKM-045"), "a failure drops all")


def failure_keeps_the_previous_state(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, FAILURE, "fail", "kept")
    effect = tck.RequestAction(effect=tck.Effect(id="z"))
    s.send(command(1, "fail", update("lost"), effect, tck.RequestAction(fail=tck.Fail(message="no"))))
    observed = s.expect(answer(1, entity_pb2.ClientAction(failure=entity_pb2.Failure(description="no"))))
    next_id = 2
    if observed.reply.client_action.failure.restart:
        s.end()
        s = open_stream(uf, rec, FAILURE, "fail", "kept")
        next_id = 1
    s.send(command(next_id, "fail"))
    s.expect(answer(next_id, state("kept")))
    s.end()


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        last_update_or_delete_wins,
        rehydration_after_passivation,
        forward_with_update_and_effects,
        failure_keeps_the_previous_state,
    )
}
