"""The store interface: event journal, snapshots, value-entity state, CRDT state.

One interface, several implementations (``memory.py``, ``postgres.py``), and
one contract test suite (``tests/stores/test_*_contract.py``, run against each
implementation through the parametrised ``store`` fixture). Payloads are
``google.protobuf.Any`` values kept byte-for-byte (type URL and value), never
decoded: the proxy does not know the user's types, and must give back exactly
what it was given.

Identifiers and type URLs are text without NUL characters (PostgreSQL text
cannot hold them); :func:`check_key` and :func:`check_payload` enforce that the
same way in every implementation.

Errors: a store raises :class:`~cloudstate_proxy.errors.StoreUnavailable`
when its database cannot be reached (the command fails with UNAVAILABLE; the
write either happened completely or not at all) and
:class:`~cloudstate_proxy.errors.ConcurrencyConflict` when an append does not
start right after the journal's last sequence number.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence

from google.protobuf import any_pb2

from cloudstate_proxy.crdt import Replicated
from cloudstate_proxy.errors import ConcurrencyConflict, EntityFailure, InvalidRequest
from cloudstate_proxy.stores.replication import Replication, SingleReplica


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    """One journal event of one entity."""

    sequence: int  # 1, 2, 3, ... per (persistence id, entity id), no gaps
    payload: any_pb2.Any


@dataclasses.dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot of an entity's state as of ``sequence`` (all events up to and including it)."""

    sequence: int
    payload: any_pb2.Any


@dataclasses.dataclass(frozen=True)
class Recovery:
    """What an event-sourced entity is loaded from: the latest snapshot and the events after it."""

    snapshot: StoredSnapshot | None
    events: tuple[StoredEvent, ...]

    @property
    def sequence(self) -> int:
        """The sequence number of the last event (0 for an entity that has none)."""
        if self.events:
            return self.events[-1].sequence
        return self.snapshot.sequence if self.snapshot else 0


@dataclasses.dataclass(frozen=True)
class TaggedEvent:
    """A journal event as an event-log consumer sees it (spec/14-eventing.md)."""

    offset: int  # strictly increasing within one persistence id, across entities
    entity_id: str
    event: StoredEvent


class EventJournal(abc.ABC):
    """Append-only events and snapshots of event-sourced entities."""

    @abc.abstractmethod
    async def recover(self, persistence_id: str, entity_id: str) -> Recovery:
        """The latest snapshot and every event after it, in sequence order."""

    @abc.abstractmethod
    async def append(
        self,
        persistence_id: str,
        entity_id: str,
        expected_sequence: int,
        events: Sequence[any_pb2.Any],
        snapshot: any_pb2.Any | None = None,
    ) -> int:
        """Atomically append ``events`` after ``expected_sequence`` and return the new last sequence.

        The events get sequence numbers ``expected_sequence + 1`` onwards; the
        snapshot, when given, is stored as of the last of them. Either all of
        it is durable when this returns, or none of it is (and an error says
        why). ``events`` must not be empty.
        """

    @abc.abstractmethod
    async def events_by_persistence_id(
        self, persistence_id: str, after_offset: int, limit: int
    ) -> Sequence[TaggedEvent]:
        """Events of every entity of ``persistence_id`` with offset > ``after_offset``, oldest first.

        At most ``limit`` (> 0) events. Offsets are strictly increasing but may
        have gaps, and an event that becomes visible later never has a lower
        offset than one already returned: a consumer that resumes after the
        last offset it saw misses nothing.
        """


class ValueStore(abc.ABC):
    """The current state of value entities."""

    @abc.abstractmethod
    async def get(self, persistence_id: str, entity_id: str) -> any_pb2.Any | None:
        """The stored value, or None when the entity has none (never written, or deleted)."""

    @abc.abstractmethod
    async def put(self, persistence_id: str, entity_id: str, value: any_pb2.Any) -> None:
        """Replace the value (creating it when absent); durable when this returns."""

    @abc.abstractmethod
    async def delete(self, persistence_id: str, entity_id: str) -> None:
        """Remove the value; deleting an absent value is not an error."""


@dataclasses.dataclass(frozen=True)
class StoredCrdt:
    """The merged state of one CRDT entity as stored, and its version (1 after the first write, +1 per write)."""

    state: Replicated
    version: int


class CrdtStore(abc.ABC):
    """The merged state of CRDT entities (tombstones included), one row per entity.

    Every proxy that shares the store writes by read-merge-write in one atomic
    step, so concurrent writers never lose each other's changes: what is stored
    is always the merge of everything written.
    """

    @abc.abstractmethod
    async def load(self, persistence_id: str, entity_id: str) -> StoredCrdt | None:
        """The stored state, or None when the entity has never been written."""

    @abc.abstractmethod
    async def merge_and_save(
        self, persistence_id: str, entity_id: str, state: Replicated, origin: str = ""
    ) -> StoredCrdt:
        """Merge ``state`` into the stored state atomically and return what is stored now (durable on return).

        ``origin`` is the replica that writes; stores that replicate announce
        the change to the other replicas under that name.
        """


class Store(abc.ABC):
    """Everything the proxy persists, behind one lifecycle."""

    journal: EventJournal
    values: ValueStore
    crdts: CrdtStore

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and create or migrate the schema; idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abc.abstractmethod
    async def healthy(self) -> bool:
        """True when the store can serve reads and writes right now (readiness)."""

    def replication(self, replica: str, heartbeat: float, window: float) -> Replication:
        """How this process, as replica ``replica``, learns of other replicas and their CRDT changes.

        A store that only this process sees has no other replica (the default);
        ``heartbeat`` and ``window`` are the liveness settings of shared stores.
        """
        return SingleReplica(replica)


def check_key(persistence_id: str, entity_id: str) -> None:
    """Reject identifiers a store cannot hold: an entity id comes from a client's request, hence InvalidRequest."""
    if "\x00" in persistence_id or "\x00" in entity_id:
        raise InvalidRequest(f"entity id {entity_id!r} of {persistence_id!r} contains a NUL character")


def check_payload(payload: any_pb2.Any) -> None:
    """Reject a payload a store cannot hold: events, snapshots and values come from the user function."""
    if "\x00" in payload.type_url:
        raise EntityFailure(f"the user function sent a payload whose type URL {payload.type_url!r} contains NUL")


def check_append(expected_sequence: int, events: Sequence[any_pb2.Any], snapshot: any_pb2.Any | None) -> None:
    """The preconditions of :meth:`EventJournal.append` that are the caller's responsibility."""
    if expected_sequence < 0:
        raise ValueError(f"expected_sequence must be >= 0, not {expected_sequence}")
    if not events:
        raise ValueError("an append needs at least one event (a snapshot alone is not allowed)")
    for payload in events:
        check_payload(payload)
    if snapshot is not None:
        check_payload(snapshot)


def check_sequence(persistence_id: str, entity_id: str, current: int, expected: int) -> None:
    """Optimistic concurrency: an append must start right after the journal's last event."""
    if current != expected:
        raise ConcurrencyConflict(
            f"the journal of {persistence_id}/{entity_id} is at sequence {current}, not {expected}: "
            "another writer appended to it"
        )
