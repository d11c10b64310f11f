"""Building and normalising the protocol messages every entity type shares.

The models describe a call by (service, method, id); each model module of
``tck.wire`` says which message carries the id. Observed messages are
normalised before comparison by clearing what the models do not predict
(metadata, ``Failure.restart``), so that comparisons are exact protobuf
equality on everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cloudstate import entity_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from tck.models.effects import Call, ClientOutcome, Failed, Forwarded, NoReply, Replied, SideEffect

TYPE_URL_PREFIX = "type.googleapis.com/"

# How a model's call id becomes the payload of a forward or side effect.
PayloadOf = Callable[[Call], Message]
# How a model's reply message becomes the reply payload.
ReplyOf = Callable[[str], Message]


def pack(message: Message) -> any_pb2.Any:
    """Pack with the standard type URL prefix (spec 04)."""
    packed = any_pb2.Any()
    packed.Pack(message, type_url_prefix=TYPE_URL_PREFIX)
    return packed


def side_effects(effects: Iterable[SideEffect], payload_of: PayloadOf) -> list[entity_pb2.SideEffect]:
    return [
        entity_pb2.SideEffect(
            service_name=e.call.service,
            command_name=e.call.method,
            payload=pack(payload_of(e.call)),
            synchronous=e.synchronous,
        )
        for e in effects
    ]


def forward(call: Call, payload_of: PayloadOf) -> entity_pb2.Forward:
    return entity_pb2.Forward(service_name=call.service, command_name=call.method, payload=pack(payload_of(call)))


def client_action(
    outcome: ClientOutcome, command_id: int, reply_of: ReplyOf, payload_of: PayloadOf
) -> entity_pb2.ClientAction | None:
    """The `ClientAction` a user function sends for the outcome (None for no reply).

    A failure names the command it answers and has ``restart`` false; whether a
    restart was acceptable is the model's ``Failed.restart``, checked apart.
    """
    match outcome:
        case Replied(message):
            return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(reply_of(message))))
        case Forwarded(call):
            return entity_pb2.ClientAction(forward=forward(call, payload_of))
        case Failed(message):
            return entity_pb2.ClientAction(failure=entity_pb2.Failure(command_id=command_id, description=message))
        case NoReply():
            return None


def normalised_action(action: entity_pb2.ClientAction, failure_id: bool = True) -> entity_pb2.ClientAction:
    """A copy without the parts the models leave open: metadata and ``Failure.restart``.

    With ``failure_id`` false, a failure's ``command_id`` is cleared too (FAIL-002 only recommends it).
    """
    copy = entity_pb2.ClientAction()
    copy.CopyFrom(action)
    kind = copy.WhichOneof("action")
    if kind == "reply":
        copy.reply.ClearField("metadata")
    elif kind == "forward":
        copy.forward.ClearField("metadata")
    elif kind == "failure":
        copy.failure.ClearField("restart")
        if not failure_id:
            copy.failure.ClearField("command_id")
    return copy


def normalised_effects(effects: Iterable[entity_pb2.SideEffect]) -> list[entity_pb2.SideEffect]:
    copies = []
    for effect in effects:
        copy = entity_pb2.SideEffect()
        copy.CopyFrom(effect)
        copy.ClearField("metadata")
        copies.append(copy)
    return copies
