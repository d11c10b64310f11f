"""Helpers shared by the entity servicers: decoding commands, naming failures."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from cloudstate import entity_pb2
from google.protobuf import any_pb2, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from cloudstate_sdk.errors import ProtocolError
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.payloads import ANY_TYPE_NAME, type_name_of

if TYPE_CHECKING:
    from cloudstate_sdk._definition import Definition

ResultT = TypeVar("ResultT")
OutT = TypeVar("OutT")

logger = logging.getLogger("cloudstate_sdk")


def decode_input(method: MethodDescriptor, payload_holder: Message, where: str) -> Message:
    """Decode a command's payload as the method's input type, or raise ProtocolError.

    ``payload_holder`` is the Command or ActionCommand; an unset payload means
    the default instance of the input type. A method whose input type is
    ``google.protobuf.Any`` gets the payload itself, whatever its type URL
    (EVT-027): the proxy does not wrap such inputs in a second ``Any``.
    """
    message_type = message_factory.GetMessageClass(method.input_type)
    if not payload_holder.HasField("payload"):
        return message_type()
    payload = payload_holder.payload  # type: ignore[attr-defined]
    expected = method.input_type.full_name
    if expected == ANY_TYPE_NAME:
        return any_pb2.Any(type_url=payload.type_url, value=payload.value)
    if type_name_of(payload) != expected:
        raise ProtocolError(f"{where}: the payload is a {payload.type_url!r}, but {method.name} takes {expected}")
    try:
        decoded: Message = message_type.FromString(payload.value)
    except DecodeError as error:
        raise ProtocolError(f"{where}: the payload is not a valid {expected}: {error}") from error
    return decoded


def crash_description(where: str, error: BaseException) -> str:
    """A failure description for an unexpected exception, logged with its traceback."""
    logger.error("%s raised %s", where, type(error).__name__, exc_info=error)
    summary = "".join(traceback.format_exception_only(type(error), error)).strip()
    return f"{where} failed: {summary}"


def stream_failure(description: str, command_id: int = 0) -> entity_pb2.Failure:
    logger.error("%s", description)
    return entity_pb2.Failure(command_id=command_id, description=description)


class StreamEnded(Exception):
    """Ends an entity stream with a stream-level failure."""

    def __init__(self, failure: entity_pb2.Failure) -> None:
        super().__init__(failure.description)
        self.failure = failure


class EntityStream:
    """What the event-sourced and value entity streams share: naming, failing,
    and checking a command before its handler runs."""

    kind = "entity"

    def __init__(self) -> None:
        self.service_name: str | None = None
        self.entity_id: str | None = None

    @property
    def name(self) -> str:
        if self.entity_id is None:
            return f"{self.kind} stream"
        return f"{self.kind} {self.service_name}/{self.entity_id}"

    def fail(self, description: str, command_id: int = 0) -> StreamEnded:
        return StreamEnded(stream_failure(f"{self.name}: {description}", command_id))

    def violation(self, description: str, command_id: int = 0) -> StreamEnded:
        """End the stream because the proxy broke the protocol (FAIL-044: the description says so first)."""
        logger.error("protocol violation by the proxy on %s: %s", self.name, description)
        return StreamEnded(stream_failure(f"protocol violation: {self.name}: {description}", command_id))

    def check_command(self, definition: Definition, command: entity_pb2.Command) -> tuple[Message, Metadata]:
        """Validate a command against the stream and the definition; returns the decoded payload and metadata."""
        where = f"command {command.id} ({command.name!r})"
        if command.entity_id != self.entity_id:
            raise self.violation(f"{where} is for entity {command.entity_id!r}", command.id)
        found = definition.handler_for(command.name)
        if found is None:
            raise self.violation(f"{where}: {definition.service_name} has no method {command.name!r}", command.id)
        try:
            payload = decode_input(found[0], command, where)
        except ProtocolError as error:
            raise self.violation(str(error), command.id) from None
        return payload, Metadata.from_proto(command.metadata)

    async def run(self, command: entity_pb2.Command, handling: Awaitable[ResultT]) -> ResultT:
        """Await a handler run; an exception ends the stream with a failure naming the command."""
        try:
            return await handling
        except Exception as error:
            raise self.fail(crash_description(f"command {command.id} ({command.name!r})", error), command.id) from None

    # The message flow shared by both entity protocols: init first and once,
    # then commands (and, for event sourcing, replayed events in between).

    def on_init(self, init: Any) -> None:
        raise NotImplementedError

    async def on_command(self, command: entity_pb2.Command) -> Message:
        raise NotImplementedError

    def on_other(self, kind: str, message: Any) -> None:
        raise self.violation(f"received a message with nothing set{'' if not kind else f' ({kind})'}")

    @property
    def started(self) -> bool:
        raise NotImplementedError

    async def receive(self, message: Any) -> Message | None:
        kind = message.WhichOneof("message")
        if kind == "init":
            if self.started:
                raise self.violation("received a second init")
            self.on_init(message.init)
            return None
        if not self.started:
            raise self.violation(f"expected init as the first message, got {kind or 'a message with nothing set'}")
        if kind == "command":
            return await self.on_command(message.command)
        self.on_other(kind or "", message)
        return None

    async def serve(
        self, requests: AsyncIterator[Any], reply: Callable[[Any], OutT], failure: Callable[[entity_pb2.Failure], OutT]
    ) -> AsyncIterator[OutT]:
        """Answer ``requests`` until the proxy half-closes or the stream fails; a failure is sent last."""
        try:
            async for message in requests:
                answer = await self.receive(message)
                if answer is not None:
                    yield reply(answer)
        except StreamEnded as ended:
            yield failure(ended.failure)
