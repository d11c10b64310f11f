"""The action TCK model on the wire (cloudstate.action and cloudstate.tck.model.action)."""

from __future__ import annotations

from collections.abc import Iterable

from cloudstate import action_pb2
from cloudstate.tck.model import action_pb2 as model_pb2

from tck.models import action as model
from tck.models.effects import Call, Failed
from tck.wire.common import client_action, pack, side_effects


def request(groups: model.Request) -> model_pb2.Request:
    return model_pb2.Request(groups=[model_pb2.ProcessGroup(steps=[_step(s) for s in group]) for group in groups])


def _step(step: model.Step) -> model_pb2.ProcessStep:
    match step:
        case model.Reply(message):
            return model_pb2.ProcessStep(reply=model_pb2.Reply(message=message))
        case model.Forward(id):
            return model_pb2.ProcessStep(forward=model_pb2.Forward(id=id))
        case model.Fail(message):
            return model_pb2.ProcessStep(fail=model_pb2.Fail(message=message))
        case model.Effect(id, synchronous):
            return model_pb2.ProcessStep(effect=model_pb2.SideEffect(id=id, synchronous=synchronous))
        case model.Skip():
            return model_pb2.ProcessStep()


def request_of(message: model_pb2.Request) -> model.Request:
    """The model request of a message (for the TCK playing the user function)."""
    return tuple(tuple(_model_step(s) for s in group.steps) for group in message.groups)


def _model_step(step: model_pb2.ProcessStep) -> model.Step:
    match step.WhichOneof("step"):
        case "reply":
            return model.Reply(step.reply.message)
        case "forward":
            return model.Forward(step.forward.id)
        case "fail":
            return model.Fail(step.fail.message)
        case "effect":
            return model.Effect(step.effect.id, step.effect.synchronous)
        case _:
            return model.Skip()


def payload_of(call: Call) -> model_pb2.OtherRequest:
    return model_pb2.OtherRequest(id=call.id)


def response_message(message: str) -> model_pb2.Response:
    return model_pb2.Response(message=message)


def command(method: str, payload: model_pb2.Request | None) -> action_pb2.ActionCommand:
    """An `ActionCommand` for a unary or streamed-out call (payload set) or a stream's announcement (None)."""
    cmd = action_pb2.ActionCommand(service_name=model.SERVICE, name=method)
    if payload is not None:
        cmd.payload.CopyFrom(pack(payload))
    return cmd


def stream_commands(method: str, requests: Iterable[model.Request]) -> list[action_pb2.ActionCommand]:
    """A streamed-in or duplex call: the announcing command, then one payload-only command each (ACT-006, ACT-007)."""
    return [command(method, None)] + [action_pb2.ActionCommand(payload=pack(request(r))) for r in requests]


def response(predicted: model.Response) -> action_pb2.ActionResponse:
    """The `ActionResponse` a conforming user function sends (failure with command id 0, ACT-018)."""
    message = action_pb2.ActionResponse(side_effects=side_effects(predicted.effects, payload_of))
    action = client_action(predicted.client, 0, response_message, payload_of)
    if action is not None:
        kind = action.WhichOneof("action")
        assert kind is not None
        getattr(message, kind).CopyFrom(getattr(action, kind))
    return message


def is_failure(predicted: model.Response) -> bool:
    return isinstance(predicted.client, Failed)
