"""One live event-sourced entity: its state, sequence number and command handling.

This is shared by the protocol servicer and the testing module, so unit tests
exercise exactly the code that serves the proxy.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import any_pb2
from google.protobuf.message import Message

from cloudstate_sdk._definition import empty_output
from cloudstate_sdk.context import run_handler
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.eventsourced import EventSourcedContext, EventSourcedEntity
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Outcome
from cloudstate_sdk.payloads import ANY_TYPE_NAME, pack, unpack


@dataclass
class EventSourcedResult:
    """Everything one command produced."""

    outcome: Outcome
    events: list[Any] = field(default_factory=list)
    event_payloads: list[any_pb2.Any] = field(default_factory=list)
    snapshot: Any = None
    snapshot_payload: any_pb2.Any | None = None
    #: True when a failed command had applied events that could not be undone.
    restart: bool = False


class EventSourcedInstance:
    """The in-memory entity between init and the end of its stream."""

    def __init__(self, entity: EventSourcedEntity, entity_id: str) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.state: Any = entity.new_state(entity_id)
        self.sequence = 0
        self._emitted: list[tuple[Any, any_pb2.Any]] | None = None  # None outside a command
        self._saved: tuple[Any, int] | None = None
        self._restorable = True

    def restore(self, sequence: int, snapshot: object) -> None:
        """Start from a snapshot taken at ``sequence``."""
        self.state = self.entity.restore_snapshot(snapshot)
        self.sequence = sequence

    def replay(self, sequence: int, event: object) -> None:
        """Apply a persisted event."""
        self._apply(event)
        self.sequence = sequence

    def _apply(self, event: object) -> None:
        if isinstance(event, Message) and event.DESCRIPTOR.full_name == ANY_TYPE_NAME:
            # An event emitted ready-packed (e.g. pack_json(..., "Name")) reaches
            # its handler unpacked, exactly as it will when the proxy replays it.
            event = unpack(pack(event), pool=self.entity.pool)
        handler = self.entity.event_handler_for(event)
        if handler is None:
            raise HandlerError(
                f"{self.entity.service_name} has no event handler for {type(event).__qualname__}; "
                "register one with @entity.event"
            )
        new_state = handler(self.state, event)
        if new_state is not None:
            self.state = new_state

    def emit(self, event: object) -> None:
        if self._emitted is None:
            raise HandlerError("emit() was called outside a command")
        payload = pack(event)  # fail at emit time when the event cannot be persisted
        if self._saved is None and self._restorable:
            # Copy lazily, at the first emit: commands that only read pay nothing.
            try:
                self._saved = (copy.deepcopy(self.state), self.sequence)
            except Exception:
                self._restorable = False
        self._apply(event)
        self.sequence += 1
        self._emitted.append((event, payload))

    async def handle(self, command_id: int, name: str, command: object, metadata: Metadata) -> EventSourcedResult:
        """Run the handler of ``name``; a handler exception propagates (the entity is then unusable)."""
        found = self.entity.handler_for(name)
        if found is None:
            raise HandlerError(f"{self.entity.service_name} has no command {name!r}")
        method, handler = found
        where = f"command handler {handler.__qualname__} for {self.entity.service_name}/{name}"
        context = EventSourcedContext(self, command_id, name, metadata)
        start = self.sequence
        self._emitted, self._saved, self._restorable = [], None, True
        try:
            outcome = await run_handler(handler, (self.state, command, context), context, method.output_type, where)
            emitted = self._emitted
        finally:
            context._open = False
            self._emitted = None
        if outcome.failure is not None:
            outcome.effects = []  # an entity failure carries nothing else
            return EventSourcedResult(outcome=outcome, restart=self._roll_back(emitted))
        if outcome.reply is None and outcome.forward is None:
            outcome.reply = empty_output(method)
        result_ = EventSourcedResult(
            outcome=outcome, events=[e for e, _ in emitted], event_payloads=[p for _, p in emitted]
        )
        every = self.entity.snapshot_every
        if emitted and every > 0 and self.sequence // every > start // every:
            result_.snapshot = self.entity.make_snapshot(self.state)
            result_.snapshot_payload = pack(result_.snapshot)
        return result_

    def _roll_back(self, emitted: list[tuple[Any, any_pb2.Any]]) -> bool:
        """Undo the events of a failed command; True when that was impossible (restart needed)."""
        if not emitted:
            return False
        if self._saved is None:
            return True
        self.state, self.sequence = self._saved
        self._saved = None
        return False
