"""An event journal as the proxy keeps it: per entity, numbered events and snapshots.

The SDK-conformance machines play the proxy, so they need to know what a proxy
would replay when it loads an entity: the latest snapshot (or any stored one)
and every event recorded after it (spec 09, ES-002, ES-008, ES-012, ES-016).

The journal is generic in the event and snapshot payload and immutable: every
change returns a new journal, so a machine can keep old versions around and a
property test can compare them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Event(Generic[T]):
    """One journalled event: its sequence number (1, 2, ...) and payload."""

    sequence: int
    payload: T


@dataclasses.dataclass(frozen=True)
class Snapshot(Generic[T]):
    """A stored state together with the sequence number of the last event it reflects."""

    sequence: int
    state: T


@dataclasses.dataclass(frozen=True)
class Recovery(Generic[T]):
    """What a proxy sends on a new stream: init's snapshot (if any), then the later events."""

    snapshot: Snapshot[T] | None
    events: tuple[Event[T], ...]


@dataclasses.dataclass(frozen=True)
class EntityJournal(Generic[T]):
    """The journal of one entity: events numbered from 1 without gaps, and its snapshots."""

    events: tuple[Event[T], ...] = ()
    snapshots: tuple[Snapshot[T], ...] = ()

    @property
    def sequence(self) -> int:
        """The sequence number of the last event, 0 when there is none."""
        return len(self.events)

    def append(self, payloads: Iterable[T]) -> EntityJournal[T]:
        """Persist events after the last one, numbered consecutively (ES-002, ES-025)."""
        start = self.sequence
        added = tuple(Event(start + i, p) for i, p in enumerate(payloads, start=1))
        return dataclasses.replace(self, events=self.events + added)

    def snapshot(self, state: T) -> EntityJournal[T]:
        """Store a snapshot of the state after the last event (ES-029)."""
        if not self.events:
            raise ValueError("a snapshot needs at least one event before it")
        return dataclasses.replace(self, snapshots=(*self.snapshots, Snapshot(self.sequence, state)))

    @property
    def latest_snapshot(self) -> Snapshot[T] | None:
        return self.snapshots[-1] if self.snapshots else None

    def recovery(self, snapshot: Snapshot[T] | None) -> Recovery[T]:
        """The init snapshot and replayed events for a load that starts from ``snapshot``.

        ``snapshot`` is one of this journal's snapshots or None (replay everything).
        A real proxy uses the latest one (ES-012); any one gives the same state.
        """
        if snapshot is not None and snapshot not in self.snapshots:
            raise ValueError(f"{snapshot} is not a snapshot of this journal")
        after = snapshot.sequence if snapshot else 0
        return Recovery(snapshot, self.events[after:])

    def latest_recovery(self) -> Recovery[T]:
        """What a conforming proxy sends: the latest snapshot and the events after it."""
        return self.recovery(self.latest_snapshot)


@dataclasses.dataclass(frozen=True)
class Journal(Generic[T]):
    """The journals of every entity of one persistence id, by entity id (ES-001)."""

    entities: Mapping[str, EntityJournal[T]] = dataclasses.field(default_factory=dict)

    def __getitem__(self, entity_id: str) -> EntityJournal[T]:
        return self.entities.get(entity_id, EntityJournal())

    def updated(self, entity_id: str, journal: EntityJournal[T]) -> Journal[T]:
        return Journal({**self.entities, entity_id: journal})
