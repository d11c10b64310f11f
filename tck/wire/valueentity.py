"""The value-entity TCK model on the wire (cloudstate.valueentity and cloudstate.tck.model.valueentity)."""

from __future__ import annotations

from collections.abc import Iterable

from cloudstate import entity_pb2, value_entity_pb2
from cloudstate.tck.model import valueentity_pb2 as model_pb2
from google.protobuf.message import Message

from tck.models import valueentity as model
from tck.models.effects import Call
from tck.wire.common import client_action, pack, side_effects


def request(entity_id: str, actions: Iterable[model.Action]) -> model_pb2.Request:
    return model_pb2.Request(id=entity_id, actions=[_action(a) for a in actions])


def _action(action: model.Action) -> model_pb2.RequestAction:
    match action:
        case model.Update(value):
            return model_pb2.RequestAction(update=model_pb2.Update(value=value))
        case model.Delete():
            return model_pb2.RequestAction(delete=model_pb2.Delete())
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
            case "update":
                result.append(model.Update(a.update.value))
            case "delete":
                result.append(model.Delete())
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


def init_message(service: str, entity_id: str, stored: str | None) -> value_entity_pb2.ValueEntityStreamIn:
    """`init` with the stored value; the state wrapper is always set, its value only when stored (VE-008)."""
    init = value_entity_pb2.ValueEntityInit(service_name=service, entity_id=entity_id)
    init.state.SetInParent()
    if stored is not None:
        init.state.value.CopyFrom(pack(persisted(stored)))
    return value_entity_pb2.ValueEntityStreamIn(init=init)


def command(command_id: int, entity_id: str, name: str, payload: Message) -> value_entity_pb2.ValueEntityStreamIn:
    cmd = entity_pb2.Command(entity_id=entity_id, id=command_id, name=name, payload=pack(payload))
    return value_entity_pb2.ValueEntityStreamIn(command=cmd)


def state_action(action: model.StateAction | None) -> value_entity_pb2.ValueEntityAction | None:
    match action:
        case model.Update(value):
            return value_entity_pb2.ValueEntityAction(
                update=value_entity_pb2.ValueEntityUpdate(value=pack(persisted(value)))
            )
        case model.Delete():
            return value_entity_pb2.ValueEntityAction(delete=value_entity_pb2.ValueEntityDelete())
        case None:
            return None


def reply(command_id: int, outcome: model.Outcome) -> value_entity_pb2.ValueEntityReply:
    """The reply a conforming user function sends for the outcome (restart false on failure)."""
    message = value_entity_pb2.ValueEntityReply(
        command_id=command_id, side_effects=side_effects(outcome.effects, payload_of)
    )
    action = client_action(outcome.client, command_id, response, payload_of)
    if action is not None:
        message.client_action.CopyFrom(action)
    change = state_action(outcome.state_action)
    if change is not None:
        message.state_action.CopyFrom(change)
    return message
