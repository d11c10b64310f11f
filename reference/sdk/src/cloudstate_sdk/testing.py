"""Run handlers without a proxy, for users' unit tests.

    kit = EventSourcedTestKit(cart, entity_id="c1")
    result = kit.handle("AddItem", AddLineItem(user_id="c1", product_id="p", name="Pen", quantity=2))
    assert result.events == [ItemAdded(...)]
    assert kit.state == ...

The kits use the same code that serves the proxy: events are packed when
emitted, snapshots follow ``snapshot_every``, a failed command is rolled back.
Each ``handle``/``unary``/... has an ``_async`` twin for async tests; the plain
form also works inside a running event loop as long as the handler does not
wait for anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from cloudstate_sdk._action_runtime import ActionCall
from cloudstate_sdk._eventsourced_runtime import EventSourcedInstance
from cloudstate_sdk._valueentity_runtime import ValueEntityInstance
from cloudstate_sdk.action import Action
from cloudstate_sdk.calls import Effect, ServiceCall, find_method
from cloudstate_sdk.errors import PayloadError
from cloudstate_sdk.eventsourced import EventSourcedEntity
from cloudstate_sdk.metadata import Metadata, MetadataLike
from cloudstate_sdk.outcomes import Outcome
from cloudstate_sdk.payloads import pack
from cloudstate_sdk.valueentity import ValueEntity

T = TypeVar("T")

__all__ = [
    "ActionResult",
    "ActionTestKit",
    "EventSourcedResult",
    "EventSourcedTestKit",
    "ValueEntityResult",
    "ValueEntityTestKit",
]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Inside a running loop we cannot block; a handler that never suspends
    # still completes in one step.
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the handler waits for something: call the *_async variant and await it")


def _check_input(method: MethodDescriptor, message: object) -> None:
    expected = method.input_type.full_name
    if not isinstance(message, Message) or message.DESCRIPTOR.full_name != expected:
        raise PayloadError(f"{method.full_name} takes a {expected}, not {type(message).__qualname__}")


@dataclass(frozen=True)
class ActionResult:
    """What one handler result turned into (exactly one of reply/forward/failure, or none)."""

    reply: Message | None
    reply_metadata: Metadata
    forward: ServiceCall | None
    failure: str | None
    effects: list[Effect]

    @classmethod
    def _of(cls, outcome: Outcome) -> ActionResult:
        return cls(outcome.reply, outcome.reply_metadata, outcome.forward, outcome.failure, list(outcome.effects))


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


class _EntityKit:
    def __init__(self) -> None:
        self._next_id = 1

    def _command_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


class EventSourcedTestKit(_EntityKit):
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
        return _run(self.handle_async(command_name, command, metadata=metadata))

    async def handle_async(
        self, command_name: str, command: Message, *, metadata: MetadataLike = ()
    ) -> EventSourcedResult:
        _check_input(find_method(self._instance.entity.service, command_name), command)
        result = await self._instance.handle(self._command_id(), command_name, command, Metadata(metadata))
        self.events.extend(result.events)
        base = ActionResult._of(result.outcome)
        return EventSourcedResult(
            **vars(base), events=result.events, snapshot=result.snapshot, restart=result.restart, state=self.state
        )


class ValueEntityTestKit(_EntityKit):
    """One value entity, optionally started from a stored state."""

    def __init__(self, entity: ValueEntity, entity_id: str = "entity", *, state: object = None) -> None:
        super().__init__()
        entity.validate()
        self._instance = ValueEntityInstance(entity, entity_id, None if state is None else pack(state))

    @property
    def state(self) -> Any:
        return self._instance.state

    def handle(self, command_name: str, command: Message, *, metadata: MetadataLike = ()) -> ValueEntityResult:
        return _run(self.handle_async(command_name, command, metadata=metadata))

    async def handle_async(
        self, command_name: str, command: Message, *, metadata: MetadataLike = ()
    ) -> ValueEntityResult:
        _check_input(find_method(self._instance.entity.service, command_name), command)
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
        _check_input(call.method, message)
        return ActionResult._of(await call.call(message))

    async def stream_in_async(
        self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()
    ) -> ActionResult:
        call = self._call(name, "stream_in", metadata)
        messages = list(messages)
        for message in messages:
            _check_input(call.method, message)
        return ActionResult._of(await call.call(_stream(messages)))

    async def stream_out_async(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> list[ActionResult]:
        call = self._call(name, "stream_out", metadata)
        _check_input(call.method, message)
        return [ActionResult._of(outcome) async for outcome in call.stream(message)]

    async def streamed_async(
        self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()
    ) -> list[ActionResult]:
        call = self._call(name, "streamed", metadata)
        messages = list(messages)
        for message in messages:
            _check_input(call.method, message)
        return [ActionResult._of(outcome) async for outcome in call.stream(_stream(messages))]

    def unary(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> ActionResult:
        return _run(self.unary_async(name, message, metadata=metadata))

    def stream_in(self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()) -> ActionResult:
        return _run(self.stream_in_async(name, messages, metadata=metadata))

    def stream_out(self, name: str, message: Message, *, metadata: MetadataLike = ()) -> list[ActionResult]:
        return _run(self.stream_out_async(name, message, metadata=metadata))

    def streamed(self, name: str, messages: Iterable[Message], *, metadata: MetadataLike = ()) -> list[ActionResult]:
        return _run(self.streamed_async(name, messages, metadata=metadata))
