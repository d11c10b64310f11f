"""One live CRDT entity: its value, command handling, and the streamed commands
that are told about every change."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudstate import crdt_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from cloudstate_sdk._crdt_base import Crdt, WriteConsistency, crdt_from_delta
from cloudstate_sdk._definition import empty_output
from cloudstate_sdk.context import run_handler
from cloudstate_sdk.crdt import CrdtContext, CrdtEntity, StreamCancelledContext, SubscriptionContext, _StateHolder
from cloudstate_sdk.errors import HandlerError, _FailCommand
from cloudstate_sdk.metadata import Metadata

Out = crdt_pb2.CrdtStreamOut


@dataclass
class _Subscription:
    command_id: int
    method: MethodDescriptor
    metadata: Metadata
    on_change: Callable[..., Any] | None
    on_cancel: Callable[..., Any] | None


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    return await result if inspect.isawaitable(result) else result


class CrdtInstance(_StateHolder):
    """The in-memory entity between init and the end of its stream."""

    def __init__(self, entity: CrdtEntity, entity_id: str, delta: crdt_pb2.CrdtDelta | None) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.crdt: Crdt | None = None
        self.deleted = False
        self._subscriptions: dict[int, _Subscription] = {}
        if delta is not None:
            self.receive(delta)

    def _open_streams(self, method_name: str | None, exclude: int) -> int:
        return sum(
            1
            for sub in self._subscriptions.values()
            if sub.command_id != exclude and (method_name is None or sub.method.name == method_name)
        )

    def _state_action(self, delete: bool, consistency: WriteConsistency) -> crdt_pb2.CrdtStateAction | None:
        if delete:
            self.deleted = True
            return crdt_pb2.CrdtStateAction(delete=crdt_pb2.CrdtDelete(), write_consistency=consistency.value)
        if self.crdt is None or not self.crdt._has_delta():
            return None
        delta = self.crdt._delta()
        self.crdt._reset_delta()
        return crdt_pb2.CrdtStateAction(update=delta, write_consistency=consistency.value)

    async def handle(
        self, command_id: int, name: str, command: Message, metadata: Metadata, streamed: bool
    ) -> list[Out]:
        """Run a command; the reply comes first, then messages for other streamed commands."""
        found = self.entity.handler_for(name)
        if found is None:
            raise HandlerError(f"{self.entity.service_name} has no command {name!r}")
        method, handler = found
        saved = copy.deepcopy(self.crdt)
        if self.crdt is None:
            self.crdt = self.entity.new_state(self.entity_id)
        context = CrdtContext(self, self.entity_id, command_id, name, metadata, streamed)
        where = f"command handler {handler.__qualname__} for {self.entity.service_name}/{name}"
        outcome = await run_handler(handler, (self.crdt, command, context), context, method.output_type, where)
        if outcome.failure is not None:
            self.crdt = saved  # undo the command's changes
            action = outcome.client_action()
            action.failure.command_id = command_id  # type: ignore[union-attr]
            return [Out(reply=crdt_pb2.CrdtReply(command_id=command_id, client_action=action))]
        subscribed = streamed and (context._on_change is not None or context._on_cancel is not None)
        if outcome.reply is None and outcome.forward is None and not streamed:
            outcome.reply = empty_output(method)
        reply = crdt_pb2.CrdtReply(
            command_id=command_id,
            client_action=outcome.client_action(),
            side_effects=[e.to_proto() for e in outcome.effects],
            state_action=self._state_action(context._delete, context.write_consistency),
            streamed=subscribed,
        )
        if subscribed:
            self._subscriptions[command_id] = _Subscription(
                command_id, method, metadata, context._on_change, context._on_cancel
            )
        changed = reply.HasField("state_action") and reply.state_action.HasField("update")
        return [Out(reply=reply), *(await self.notify(exclude=command_id) if changed else [])]

    def receive(self, delta: crdt_pb2.CrdtDelta) -> None:
        """Apply a delta from the proxy; ProtocolError when its type is not the entity's (CRDT-018)."""
        if self.crdt is not None:
            self.crdt._apply_delta(delta)
            return
        # initial_state fixes the entity's type before it has a value too (TCKM-060): a handler written for
        # the type it gives must never be handed a CRDT of another type that the proxy happened to send.
        self.crdt = crdt_from_delta(delta, like=self.entity.new_state(self.entity_id))

    async def apply_delta(self, delta: crdt_pb2.CrdtDelta) -> list[Out]:
        """Apply a change from another replica and tell the streamed commands."""
        self.receive(delta)
        return await self.notify(exclude=None)

    def delete(self) -> None:
        self.deleted, self.crdt = True, None
        self._subscriptions.clear()

    async def notify(self, exclude: int | None) -> list[Out]:
        """Run the on_change callbacks of the open streamed calls but ``exclude``, after a change."""
        out = []
        for subscription in list(self._subscriptions.values()):
            if subscription.command_id != exclude and subscription.on_change is not None:
                message = await self._changed(subscription)
                if message is not None:
                    out.append(Out(streamed_message=message))
        return out

    async def _changed(self, subscription: _Subscription) -> crdt_pb2.CrdtStreamedMessage | None:
        name = subscription.method.name
        context = SubscriptionContext(self, self.entity_id, subscription.command_id, name, subscription.metadata)
        where = f"on_change callback of command {subscription.command_id} ({name!r})"
        assert subscription.on_change is not None
        outcome = await run_handler(
            subscription.on_change, (self.crdt, context), context, subscription.method.output_type, where
        )
        if outcome.failure is not None:
            outcome.effects = []
        ended = context._end or outcome.failure is not None
        if ended:
            del self._subscriptions[subscription.command_id]
        action = outcome.client_action()
        if action is None and not outcome.effects and not ended:
            return None
        message = crdt_pb2.CrdtStreamedMessage(
            command_id=subscription.command_id, side_effects=[e.to_proto() for e in outcome.effects], end_stream=ended
        )
        if action is not None:
            message.client_action.CopyFrom(action)
        return message

    async def cancel(self, command_id: int) -> list[Out]:
        """The client of a streamed command went away: run its on_cancel, answer, tell the others."""
        subscription = self._subscriptions.pop(command_id, None)
        response = crdt_pb2.CrdtStreamCancelledResponse(command_id=command_id)
        if subscription is None or subscription.on_cancel is None:
            return [Out(stream_cancelled_response=response)]
        name = subscription.method.name
        context = StreamCancelledContext(self, self.entity_id, command_id, name, subscription.metadata)
        try:
            await _call(subscription.on_cancel, self.crdt, context)
        except _FailCommand as failed:
            raise HandlerError(f"the on_cancel callback of command {command_id} cannot fail: {failed}") from None
        effects, _ = context._take()
        response.side_effects.extend(e.to_proto() for e in effects)
        action = self._state_action(False, context.write_consistency)
        if action is not None:
            response.state_action.CopyFrom(action)
        return [Out(stream_cancelled_response=response), *(await self.notify(None) if action else [])]
