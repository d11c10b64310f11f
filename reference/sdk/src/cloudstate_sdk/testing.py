"""Run handlers without a proxy, for users' unit tests.

    kit = EventSourcedTestKit(cart, entity_id="c1")
    result = kit.handle("AddItem", AddLineItem(user_id="c1", product_id="p", name="Pen", quantity=2))
    assert result.events == [ItemAdded(...)]
    assert kit.state == ...

    kit = CrdtTestKit(presence, entity_id="ann")
    connected = kit.handle("Connect", User(name="ann"))
    assert connected.delta == CrdtDelta(vote=VoteDelta(self_vote=True))
    assert kit.cancel(connected.command_id).delta == CrdtDelta(vote=VoteDelta(self_vote=False))

The kits use the same code that serves the proxy: events are packed when
emitted, snapshots follow ``snapshot_every``, a failed command is rolled back,
a CRDT's changes become the delta the reply would carry.
Each ``handle``/``unary``/... has an ``_async`` twin for async tests; the plain
form also works inside a running event loop as long as the handler does not
wait for anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message

from cloudstate_sdk._action_runtime import ActionCall
from cloudstate_sdk._crdt_testkit import CancelResult, CrdtResult, CrdtTestKit, StreamedMessage
from cloudstate_sdk._eventsourced_runtime import EventSourcedInstance
from cloudstate_sdk._testkit import ActionResult, EntityKit, check_input, run_sync
from cloudstate_sdk._valueentity_runtime import ValueEntityInstance
from cloudstate_sdk.action import Action
from cloudstate_sdk.calls import find_method
from cloudstate_sdk.errors import PayloadError
from cloudstate_sdk.eventsourced import EventSourcedEntity
from cloudstate_sdk.metadata import Metadata, MetadataLike
from cloudstate_sdk.payloads import pack
from cloudstate_sdk.valueentity import ValueEntity

__all__ = [
    "ActionResult",
    "ActionTestKit",
    "CancelResult",
    "CrdtResult",
    "CrdtTestKit",
    "EventSourcedResult",
    "EventSourcedTestKit",
    "StreamedMessage",
    "ValueEntityResult",
    "ValueEntityTestKit",
]


@dataclass(frozen=True)
class EventSourcedResult(ActionResult):
    """One command's result, plus the entity-specific parts."""

    events: list[Any] = field(default_factory=list)
    snapshot: Any = None
    restart: bool = False
    state: Any = None


@dataclass(frozen=True)
class ValueEntityResult(ActionResult):
    """One command's result, plus the state change (``"update"``, ``"delete"`` or None) and the new state."""

    state_action: str | None = None
    state: Any = None


class EventSourcedTestKit(EntityKit):
    """One event-sourced entity, optionally started from a snapshot and/or events."""

    def __init__(
        self,
        entity: EventSourcedEntity,
        entity_id: str = "entity",
        *,
        snapshot: object = None,
        snapshot_sequence: int = 0,
        events: Iterable[object] = (),
    ) -> None:
        super().__init__()
        entity.validate()
        self._instance = EventSourcedInstance(entity, entity_id)
        if snapshot is not None:
            self._instance.restore(snapshot_sequence, snapshot)
        for event in events:
            pack(event)
            self._instance.replay(self._instance.sequence + 1, event)
        #: Every event persisted through this kit (from successful commands), in order.
        self.events: list[Any] = []

    @property
    def state(self) -> Any:
        return self._instance.state

    @property
    def sequence_number(self) -> int:
        return self._instance.sequence

    def handle(self, command_name: str, command: Message, *, metadata: MetadataLike = ()) -> EventSourcedResult:
        return run_sync(self.handle_async(command_name, command, metadata=metadata))

    async def handle_async(
        self, command_name: str, command: Message, *, metadata: MetadataLike = ()
    ) -> EventSourcedResult:
        check_input(find_method(self._instance.entity.service, command_name), command)
        result = await self._instance.handle(self._command_id(), command_name, command, Metadata(metadata))
        self.events.extend(result.events)
        base = ActionResult._of(result.outcome)
        return EventSourcedResult(
            **vars(base), events=result.events, snapshot=result.snapshot, restart=result.restart, state=self.state
        )


class ValueEntityTestKit(EntityKit):
    """One value entity, optionally started from a stored state."""

    def __init__(self, entity: ValueEntity, entity_id: str = "entity", *, state: object = None) -> None:
        super().__init__()
        entity.validate()
        self._instance = ValueEntityInstance(entity, entity_id, None if state is None else pack(state))

    @property
    def state(self) -> Any:
        return self._instance.state

    def handle(self, command_name: str, command: Message, *, metadata: MetadataLike = ()) -> ValueEntityResult:
        return run_sync(self.handle_async(command_name, command, metadata=metadata))

    async def handle_async(
        self, command_name: str, command: Message, *, metadata: MetadataLike = ()
    ) -> ValueEntityResult:
        check_input(find_method(self._instance.entity.service, command_name), command)
        result = await self._instance.handle(self._command_id(), command_name, command, Metadata(metadata))
        base = ActionResult._of(result.outcome)
        return ValueEntityResult(**vars(base), state_action=result.state_action, state=self.state)


async def _stream(messages: Iterable[Message]) -> AsyncIterator[Message]:
    for message in messages:
        yield message


class ActionTestKit:
    """Calls an action's handlers; streamed inputs are given as lists (or any iterable)."""

    def __init__(self, action: Action) -> None:
        action.validate()
        self._action = action

    def _call(self, name: str, shape: str, metadata: MetadataLike) -> ActionCall:
        call = ActionCall(self._action, name, Metadata(metadata))
        if call.shape != shape:
            raise PayloadError(f"{call.method.full_name} is {call.shape}; use ActionTestKit.{call.shape}()")
        return call

    async def unary_async(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> ActionResult:
        call = self._call(name, "unary", metadata)
        check_input(call.method, message)
        return ActionResult._of(await call.call(message))

    async def stream_in_async(
        self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()
    ) -> ActionResult:
        call = self._call(name, "stream_in", metadata)
        messages = list(messages)
        for message in messages:
            check_input(call.method, message)
        return ActionResult._of(await call.call(_stream(messages)))

    async def stream_out_async(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> list[ActionResult]:
        call = self._call(name, "stream_out", metadata)
        check_input(call.method, message)
        return [ActionResult._of(outcome) async for outcome in call.stream(message)]

    async def streamed_async(
        self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()
    ) -> list[ActionResult]:
        call = self._call(name, "streamed", metadata)
        messages = list(messages)
        for message in messages:
            check_input(call.method, message)
        return [ActionResult._of(outcome) async for outcome in call.stream(_stream(messages))]

    def unary(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> ActionResult:
        return run_sync(self.unary_async(name, message, metadata=metadata))

    def stream_in(self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()) -> ActionResult:
        return run_sync(self.stream_in_async(name, messages, metadata=metadata))

    def stream_out(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> list[ActionResult]:
        return run_sync(self.stream_out_async(name, message, metadata=metadata))

    def streamed(self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()) -> list[ActionResult]:
        return run_sync(self.streamed_async(name, messages, metadata=metadata))
