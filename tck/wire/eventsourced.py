"""The event-sourced TCK model on the wire (cloudstate.eventsourced and cloudstate.tck.model)."""

from __future__ import annotations

from collections.abc import Iterable

from cloudstate import entity_pb2, event_sourced_pb2
from cloudstate.tck.model import eventsourced_pb2 as model_pb2
from google.protobuf.message import Message

from tck.models import eventsourced as model
from tck.models.effects import Call
from tck.models.journal import Recovery
from tck.wire.common import client_action, pack, side_effects


def request(entity_id: str, actions: Iterable[model.Action]) -> model_pb2.Request:
    return model_pb2.Request(id=entity_id, actions=[_action(a) for a in actions])


def _action(action: model.Action) -> model_pb2.RequestAction:
    match action:
        case model.Emit(value):
            return model_pb2.RequestAction(emit=model_pb2.Emit(value=value))
        case model.Forward(id):
            return model_pb2.RequestAction(forward=model_pb2.Forward(id=id))
        case model.Effect(id, synchronous):
            return model_pb2.RequestAction(effect=model_pb2.Effect(id=id, synchronous=synchronous))
        case model.Fail(message):
            return model_pb2.RequestAction(fail=model_pb2.Fail(message=message))
        case model.Skip():
            return model_pb2.RequestAction()


def actions_of(message: model_pb2.Request) -> tuple[model.Action, ...]:
    """The model actions of a request (for the TCK playing the user function)."""
    result: list[model.Action] = []
    for a in message.actions:
        match a.WhichOneof("action"):
            case "emit":
                result.append(model.Emit(a.emit.value))
            case "forward":
                result.append(model.Forward(a.forward.id))
            case "effect":
                result.append(model.Effect(a.effect.id, a.effect.synchronous))
            case "fail":
                result.append(model.Fail(a.fail.message))
            case _:
                result.append(model.Skip())
    return tuple(result)


def persisted(value: str) -> model_pb2.Persisted:
    return model_pb2.Persisted(value=value)


def payload_of(call: Call) -> model_pb2.Request:
    return model_pb2.Request(id=call.id)


def response(message: str) -> model_pb2.Response:
    return model_pb2.Response(message=message)


def init_messages(
    service: str, entity_id: str, recovery: Recovery[str]
) -> list[event_sourced_pb2.EventSourcedStreamIn]:
    """`init` with the recovery's snapshot, then one `event` per replayed event (ES-012, ES-013, ES-016, ES-017)."""
    init = event_sourced_pb2.EventSourcedInit(service_name=service, entity_id=entity_id)
    if recovery.snapshot is not None:
        init.snapshot.snapshot_sequence = recovery.snapshot.sequence
        init.snapshot.snapshot.CopyFrom(pack(persisted(recovery.snapshot.state)))
    messages = [event_sourced_pb2.EventSourcedStreamIn(init=init)]
    for event in recovery.events:
        replayed = event_sourced_pb2.EventSourcedEvent(sequence=event.sequence, payload=pack(persisted(event.payload)))
        messages.append(event_sourced_pb2.EventSourcedStreamIn(event=replayed))
    return messages


def command(command_id: int, entity_id: str, name: str, payload: Message) -> event_sourced_pb2.EventSourcedStreamIn:
    cmd = entity_pb2.Command(entity_id=entity_id, id=command_id, name=name, payload=pack(payload))
    return event_sourced_pb2.EventSourcedStreamIn(command=cmd)


def reply(command_id: int, outcome: model.Outcome) -> event_sourced_pb2.EventSourcedReply:
    """The reply a conforming user function sends for the outcome (restart false on failure)."""
    message = event_sourced_pb2.EventSourcedReply(
        command_id=command_id,
        side_effects=side_effects(outcome.effects, payload_of),
        events=[pack(persisted(e)) for e in outcome.events],
    )
    action = client_action(outcome.client, command_id, response, payload_of)
    if action is not None:
        message.client_action.CopyFrom(action)
    if outcome.snapshot is not None:
        message.snapshot.CopyFrom(pack(persisted(outcome.snapshot)))
    return message
