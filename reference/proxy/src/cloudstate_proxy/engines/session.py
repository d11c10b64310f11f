"""The entity-type-specific half of an entity stream.

Event-sourced and value entities differ only in what goes first on a stream
(init, plus replayed events for event sourcing), in the message wrappers and
in what a reply asks the proxy to persist. An :class:`EntitySession` holds
exactly that, for one stream; everything else (queueing, command ids,
passivation, crash handling) is shared in :mod:`.instance`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, Protocol

import grpc
from cloudstate import entity_pb2
from google.protobuf import message

from cloudstate_proxy.descriptors import ServiceModel
from cloudstate_proxy.engines.base import Outcome, Runtime
from cloudstate_proxy.errors import (
    ConcurrencyConflict,
    EntityFailure,
    ProtocolViolation,
    ProxyError,
    RelayTimeout,
    StoreUnavailable,
    UserFunctionUnavailable,
)


class EntityReply(Protocol):
    """The fields EventSourcedReply and ValueEntityReply have in common."""

    @property
    def command_id(self) -> int: ...
    @property
    def client_action(self) -> entity_pb2.ClientAction: ...
    @property
    def side_effects(self) -> Sequence[entity_pb2.SideEffect]: ...


class EntitySession(abc.ABC):
    """One stream's worth of entity-type knowledge; a new session per stream."""

    #: How logs and reports name the entity type, e.g. "event-sourced entity".
    kind: str

    def __init__(self, service: ServiceModel, entity_id: str, runtime: Runtime) -> None:
        self.service = service
        self.entity_id = entity_id
        self.runtime = runtime

    @property
    def label(self) -> str:
        return f"{self.kind} {self.service.name} (entity id {self.entity_id!r})"

    @abc.abstractmethod
    def open(self) -> Any:
        """Start the ``handle`` call (a grpc.aio stream-stream call)."""

    @abc.abstractmethod
    async def prelude(self) -> Sequence[message.Message]:
        """Read the store and return what the stream starts with: init, then any replayed events."""

    @abc.abstractmethod
    def command(self, command: entity_pb2.Command) -> message.Message:
        """Wrap a command in the stream-in message."""

    def split(self, out: Any) -> EntityReply | entity_pb2.Failure:
        """The reply or the stream-level failure in a stream-out message; ProtocolViolation when empty.

        Both stream-out messages have the oneof ``message`` with ``reply`` and ``failure``.
        """
        which = out.WhichOneof("message")
        if which == "reply":
            reply: EntityReply = out.reply
            return reply
        if which == "failure":
            failure: entity_pb2.Failure = out.failure
            return failure
        raise ProtocolViolation(f"{type(out).__name__} with no message set")

    @abc.abstractmethod
    async def commit(self, reply: Any) -> Outcome:
        """Check the reply, persist its state change, and return the outcome for the router."""

    def outcome(self, reply: EntityReply, extras: Sequence[str]) -> Outcome:
        """The client outcome of a reply; ``extras`` names the state changes it carries besides side effects.

        A failure must carry nothing but itself: extras are reported as a
        warning and dropped (never persisted or run), and the failure stands.
        """
        if reply.client_action.WhichOneof("action") is None:
            raise ProtocolViolation(f"reply to command {reply.command_id} has no client action")
        outcome = Outcome.of(reply.client_action, tuple(reply.side_effects))
        if outcome.failure is None:
            return outcome
        present = [*(["side effects"] if reply.side_effects else []), *extras]
        if present:
            self.runtime.reporter.report(
                f"{self.label}: the failure reply to command {reply.command_id} also carries "
                f"{', '.join(present)}; they were discarded",
                warning=True,
            )
        return Outcome(failure=outcome.failure)


def store_error(error: Exception, what: str) -> StoreUnavailable | ConcurrencyConflict:
    """A store failure as the client error it causes, with ``what`` (the entity and the step) in front.

    A store does not know which entity service a read or write is for, and the
    client's message must name it (FAIL-055). A conflict stays a conflict;
    anything else, ours or a store implementation's own, is StoreUnavailable.
    """
    if isinstance(error, ConcurrencyConflict):
        return ConcurrencyConflict(f"{what}: {error.message}")
    if isinstance(error, StoreUnavailable):
        return StoreUnavailable(f"{what}, the store is unavailable: {error.message}")
    return StoreUnavailable(f"{what}, the store is unavailable: {type(error).__name__}: {error}")


def transport_error(error: grpc.aio.AioRpcError, label: str, *, connected: bool = False) -> ProxyError:
    """Map a failed call to the user function onto the client error it causes.

    ``connected`` says that the call had reached the user function before it
    failed: an entity stream that then breaks (the user function died, the
    connection was lost) is a crash of that entity, INTERNAL (TRN-032); a call
    that never got through finds the user function unreachable, UNAVAILABLE (TRN-037).
    """
    code = error.code()
    if code == grpc.StatusCode.UNAVAILABLE and connected:
        return EntityFailure(f"{label}: the connection to the user function was lost: {error.details()}")
    if code == grpc.StatusCode.UNAVAILABLE:
        return UserFunctionUnavailable(f"{label}: the user function cannot be reached: {error.details()}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return RelayTimeout(f"{label}: the user function did not answer in time")
    return EntityFailure(f"{label}: the call to the user function failed with {code.name}: {error.details()}")
