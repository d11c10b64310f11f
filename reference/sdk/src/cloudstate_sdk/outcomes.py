"""What a handler returns, and how that becomes a reply, forward or failure.

A command handler returns one of:

- a message of the method's output type: the reply;
- :class:`Reply`: a reply with response metadata (headers);
- :class:`Forward`: hand the command to another method (``context.forward()``
  returns one, so ``return ctx.forward(call)`` reads well);
- :class:`Failure`: fail the command for the client (same as ``ctx.fail()``,
  but as a value, which streamed action handlers can yield and carry on);
- ``None``: for entities, a reply with the default instance of the output
  type; for actions, no reply at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudstate import entity_pb2
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from cloudstate_sdk.calls import Effect, ServiceCall
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.payloads import pack


@dataclass(frozen=True)
class Reply:
    """A reply message together with metadata for the client (response headers)."""

    message: Message
    metadata: Metadata = field(default_factory=Metadata)


@dataclass(frozen=True)
class Forward:
    """Let another method of this user function answer the client."""

    call: ServiceCall


@dataclass(frozen=True)
class Failure:
    """Fail the command for the client; the entity stays alive."""

    description: str


@dataclass
class Outcome:
    """A resolved handler result, before it is put into a protocol message."""

    reply: Message | None = None
    reply_metadata: Metadata = field(default_factory=Metadata)
    forward: ServiceCall | None = None
    failure: str | None = None
    effects: list[Effect] = field(default_factory=list)

    def client_action(self) -> entity_pb2.ClientAction | None:
        """The ClientAction for this outcome, or None when there is nothing for the client."""
        if self.failure is not None:
            return entity_pb2.ClientAction(failure=entity_pb2.Failure(description=self.failure))
        if self.forward is not None:
            return entity_pb2.ClientAction(forward=self.forward.to_forward())
        if self.reply is not None:
            reply = entity_pb2.Reply(payload=pack(self.reply))
            if self.reply_metadata:
                reply.metadata.CopyFrom(self.reply_metadata.to_proto())
            return entity_pb2.ClientAction(reply=reply)
        return None


def resolve(result: object, recorded_forward: Forward | None, output_type: Descriptor, where: str) -> Outcome:
    """Turn a handler's return value (plus a forward it recorded on its context) into an Outcome.

    ``where`` names the handler in error messages.
    """
    if recorded_forward is not None and result is not None and result != recorded_forward:
        raise HandlerError(
            f"{where} called context.forward() but then returned {_describe(result)}; do one or the other"
        )
    if isinstance(result, Failure):
        return Outcome(failure=result.description)
    if isinstance(result, Forward):
        return Outcome(forward=result.call)
    if recorded_forward is not None:
        return Outcome(forward=recorded_forward.call)
    if result is None:
        return Outcome()
    if isinstance(result, Reply):
        return Outcome(reply=_checked(result.message, output_type, where), reply_metadata=result.metadata)
    if isinstance(result, Message):
        return Outcome(reply=_checked(result, output_type, where))
    raise HandlerError(
        f"{where} returned {_describe(result)}; return a {output_type.full_name} message, "
        "Reply, Forward, Failure or None"
    )


def _checked(message: Message, output_type: Descriptor, where: str) -> Message:
    if not isinstance(message, Message) or message.DESCRIPTOR.full_name != output_type.full_name:
        raise HandlerError(f"{where} replied with {_describe(message)}, but the method returns {output_type.full_name}")
    return message


def _describe(value: object) -> str:
    if isinstance(value, Message):
        return f"a {value.DESCRIPTOR.full_name} message"
    return f"a {type(value).__qualname__}"
