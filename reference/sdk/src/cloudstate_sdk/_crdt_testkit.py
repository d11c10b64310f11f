"""The CRDT entity test kit (exported by :mod:`cloudstate_sdk.testing`).

It drives the same entity runtime as the Crdt protocol servicer and reads back
what that runtime would send the proxy: the reply, the delta, the messages for
open streamed calls. Replies and calls are decoded again, so a test sees the
values that would cross the wire.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cloudstate import crdt_pb2, entity_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message

from cloudstate_sdk._crdt_base import Crdt, WriteConsistency
from cloudstate_sdk._crdt_runtime import CrdtInstance
from cloudstate_sdk._testkit import ActionResult, EntityKit, check_input, run_sync
from cloudstate_sdk.calls import Effect, ServiceCall, ServiceCallRef, find_method
from cloudstate_sdk.crdt import CrdtEntity
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.metadata import Metadata, MetadataLike
from cloudstate_sdk.payloads import unpack


@dataclass(frozen=True)
class StreamedMessage(ActionResult):
    """What an ``on_change`` callback sent to the open streamed call ``command_id``."""

    command_id: int = 0
    #: True when the callback ended the call (``end_stream()`` or a failure).
    end_stream: bool = False


@dataclass(frozen=True)
class CrdtResult(ActionResult):
    """One command's result and the change it would send the proxy."""

    command_id: int = 0
    #: The delta sent with the reply, or None when the command changed nothing.
    delta: crdt_pb2.CrdtDelta | None = None
    deleted: bool = False
    #: The write consistency of the delta or delete; None when there is neither.
    write_consistency: WriteConsistency | None = None
    #: True when the call stays open (a streamed command that registered a callback).
    streamed: bool = False
    state: Any = None
    #: Messages for other open streamed calls, caused by this command's change.
    streamed_messages: list[StreamedMessage] = field(default_factory=list)


@dataclass(frozen=True)
class CancelResult:
    """What the ``on_cancel`` callback of a streamed call did when its client went away."""

    command_id: int
    delta: crdt_pb2.CrdtDelta | None
    write_consistency: WriteConsistency | None
    effects: list[Effect]
    state: Any
    streamed_messages: list[StreamedMessage]


class CrdtTestKit(EntityKit):
    """One CRDT entity, optionally holding ``state`` already (as if the proxy had sent it in init).

    ``apply_delta`` plays a change made by another replica, ``cancel`` a client
    that goes away from a streamed call; both return what the entity then sent
    to its open streamed calls.
    """

    def __init__(self, entity: CrdtEntity, entity_id: str = "entity", *, state: Crdt | None = None) -> None:
        super().__init__()
        entity.validate()
        self._entity = entity
        self._instance = CrdtInstance(entity, entity_id, None)
        if state is not None:
            if not isinstance(state, Crdt):
                raise TypeError(f"state must be a CRDT, not {state!r}")
            start = copy.deepcopy(state)
            start._reset_delta()  # the proxy's value: nothing of it is a pending change
            self._instance.crdt = start

    @property
    def state(self) -> Any:
        return self._instance.crdt

    @property
    def open_streams(self) -> list[int]:
        """The command ids of the streamed calls that are still open."""
        return sorted(self._instance._subscriptions)

    def handle(self, command_name: str, command: Message, *, metadata: MetadataLike = ()) -> CrdtResult:
        return run_sync(self.handle_async(command_name, command, metadata=metadata))

    async def handle_async(self, command_name: str, command: Message, *, metadata: MetadataLike = ()) -> CrdtResult:
        """Run a command; server-streaming methods are called as streamed commands, as the proxy does."""
        if self._instance.deleted:
            raise HandlerError(f"entity {self._instance.entity_id!r} was deleted; the proxy answers NOT_FOUND now")
        method = find_method(self._entity.service, command_name)
        check_input(method, command)
        command_id = self._command_id()
        reply, *rest = await self._instance.handle(
            command_id, command_name, command, Metadata(metadata), bool(method.server_streaming)
        )
        out = reply.reply
        delta, consistency, deleted = _state_change(out.state_action if out.HasField("state_action") else None)
        return CrdtResult(
            **vars(self._decode(out.client_action if out.HasField("client_action") else None, out.side_effects)),
            command_id=command_id,
            delta=delta,
            deleted=deleted,
            write_consistency=consistency,
            streamed=out.streamed,
            state=self.state,
            streamed_messages=[self._message(m.streamed_message) for m in rest],
        )

    def apply_delta(self, delta: crdt_pb2.CrdtDelta) -> list[StreamedMessage]:
        return run_sync(self.apply_delta_async(delta))

    async def apply_delta_async(self, delta: crdt_pb2.CrdtDelta) -> list[StreamedMessage]:
        """Apply a change from another replica, as the proxy's ``CrdtStreamIn.delta`` does."""
        return [self._message(m.streamed_message) for m in await self._instance.apply_delta(delta)]

    def cancel(self, command_id: int) -> CancelResult:
        return run_sync(self.cancel_async(command_id))

    async def cancel_async(self, command_id: int) -> CancelResult:
        """The client of streamed call ``command_id`` went away (``StreamCancelled``)."""
        if command_id not in self._instance._subscriptions:
            raise HandlerError(f"command {command_id} has no open streamed call (open: {self.open_streams})")
        response, *rest = await self._instance.cancel(command_id)
        out = response.stream_cancelled_response
        delta, consistency, _ = _state_change(out.state_action if out.HasField("state_action") else None)
        effects = self._decode(None, out.side_effects).effects
        messages = [self._message(m.streamed_message) for m in rest]
        return CancelResult(command_id, delta, consistency, effects, self.state, messages)

    def _message(self, message: crdt_pb2.CrdtStreamedMessage) -> StreamedMessage:
        action = message.client_action if message.HasField("client_action") else None
        base = self._decode(action, message.side_effects)
        return StreamedMessage(**vars(base), command_id=message.command_id, end_stream=message.end_stream)

    def _decode(self, action: entity_pb2.ClientAction | None, side_effects: Any) -> ActionResult:
        """The inverse of what the runtime packed: messages and calls as the handler gave them."""
        pool = self._entity.pool
        reply = forward = failure = None
        metadata = Metadata()
        if action is not None:
            kind = action.WhichOneof("action")
            if kind == "reply":
                reply, metadata = unpack(action.reply.payload, pool=pool), Metadata.from_proto(action.reply.metadata)
            elif kind == "forward":
                forward = _call(action.forward, pool)
            elif kind == "failure":
                failure = action.failure.description
        effects = [Effect(_call(effect, pool), effect.synchronous) for effect in side_effects]
        return ActionResult(reply, metadata, forward, failure, effects)


def _call(target: entity_pb2.Forward | entity_pb2.SideEffect, pool: DescriptorPool) -> ServiceCall:
    ref = ServiceCallRef.for_method(pool.FindServiceByName(target.service_name), target.command_name)
    return ref.create_call(unpack(target.payload, pool=pool), Metadata.from_proto(target.metadata))


def _state_change(
    action: crdt_pb2.CrdtStateAction | None,
) -> tuple[crdt_pb2.CrdtDelta | None, WriteConsistency | None, bool]:
    if action is None:
        return None, None, False
    delta = action.update if action.HasField("update") else None
    return delta, WriteConsistency(action.write_consistency), action.HasField("delete")
