"""The event journal and snapshots in PostgreSQL (tables: see ``postgres_schema``).

Event-log offsets. ``ordering`` comes from an identity sequence, and sequence
values are handed out when a row is inserted, not when it commits: without
care, transaction A could take offset 11, transaction B offset 12, B commit
first, a consumer read 12 and resume after it, and then A commit 11 behind
its back. So every append first takes a transaction-level advisory lock keyed
by its persistence id (``pg_advisory_xact_lock(namespace, hashtext(id))``)
and holds it until commit. Appends to one persistence id therefore take their
offsets and commit one after the other, and PostgreSQL releases the lock only
after the commit is visible, so a reader never sees an offset while a lower
one of the same persistence id is still pending. (Two persistence ids whose
hashes collide merely share a lock.) The price is that appends to the
entities of one persistence id commit one at a time; appends to different
persistence ids do not wait for each other.

The same lock makes the optimistic-concurrency check exact: under it the
journal's highest sequence cannot change, so a stale ``expected_sequence`` is
reported before anything is written. The primary key stays the final guard (a
unique violation also becomes ``ConcurrencyConflict``, in ``postgres.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, TypeAlias

from google.protobuf import any_pb2

from cloudstate_proxy.stores.base import (
    EventJournal,
    Recovery,
    StoredEvent,
    StoredSnapshot,
    TaggedEvent,
    check_append,
    check_key,
    check_sequence,
)

if TYPE_CHECKING:
    from asyncpg import Record

    from cloudstate_proxy.stores.postgres_schema import Connection

    #: Opens a pooled connection and maps database errors to the proxy's (``PostgresStore.connection``).
    Connector: TypeAlias = Callable[[], AbstractAsyncContextManager[Connection]]

#: First key of the per-persistence-id advisory lock ("CSjl"); the second is the id's hash.
JOURNAL_LOCK_NAMESPACE = int.from_bytes(b"CSjl", "big")

# The snapshot (kind 0, if any) and then the events after it (kind 1), read in one statement so both
# come from the same database snapshot.
_RECOVER = """
    WITH snapshot AS (
        SELECT sequence, type_url, payload FROM cloudstate_snapshots WHERE persistence_id = $1 AND entity_id = $2
    )
    SELECT 0 AS kind, sequence, type_url, payload FROM snapshot
    UNION ALL
    SELECT 1, sequence, type_url, payload FROM cloudstate_journal
    WHERE persistence_id = $1 AND entity_id = $2 AND sequence > COALESCE((SELECT sequence FROM snapshot), 0)
    ORDER BY kind, sequence
"""

# Rows are inserted in ORDER BY order, so offsets ascend with sequence numbers within an append.
_INSERT_EVENTS = """
    INSERT INTO cloudstate_journal (persistence_id, entity_id, sequence, type_url, payload)
    SELECT $1, $2, $3 + e.n, e.type_url, e.payload
    FROM unnest($4::text[], $5::bytea[]) WITH ORDINALITY AS e(type_url, payload, n)
    ORDER BY e.n
"""

_UPSERT_SNAPSHOT = """
    INSERT INTO cloudstate_snapshots (persistence_id, entity_id, sequence, type_url, payload)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (persistence_id, entity_id) DO UPDATE
    SET sequence = excluded.sequence, type_url = excluded.type_url, payload = excluded.payload, written_at = now()
    WHERE cloudstate_snapshots.sequence < excluded.sequence
"""

_EVENT_LOG = """
    SELECT ordering, entity_id, sequence, type_url, payload FROM cloudstate_journal
    WHERE persistence_id = $1 AND ordering > $2
    ORDER BY ordering
    LIMIT $3
"""


def _payload(row: Record) -> any_pb2.Any:
    return any_pb2.Any(type_url=row["type_url"], value=row["payload"])


class PostgresJournal(EventJournal):
    def __init__(self, connect: Connector) -> None:
        self._connect = connect

    async def recover(self, persistence_id: str, entity_id: str) -> Recovery:
        check_key(persistence_id, entity_id)
        async with self._connect() as connection:
            rows = await connection.fetch(_RECOVER, persistence_id, entity_id)
        snapshot = None
        if rows and rows[0]["kind"] == 0:
            first = rows.pop(0)
            snapshot = StoredSnapshot(first["sequence"], _payload(first))
        events = tuple(StoredEvent(r["sequence"], _payload(r)) for r in rows)
        return Recovery(snapshot, events)

    async def append(
        self,
        persistence_id: str,
        entity_id: str,
        expected_sequence: int,
        events: Sequence[any_pb2.Any],
        snapshot: any_pb2.Any | None = None,
    ) -> int:
        check_key(persistence_id, entity_id)
        check_append(expected_sequence, events, snapshot)
        async with self._connect() as connection, connection.transaction():
            return await self.append_in(connection, persistence_id, entity_id, expected_sequence, events, snapshot)

    async def append_in(
        self,
        connection: Connection,
        persistence_id: str,
        entity_id: str,
        expected_sequence: int,
        events: Sequence[any_pb2.Any],
        snapshot: any_pb2.Any | None = None,
    ) -> int:
        """The body of :meth:`append`, inside a transaction the caller holds open (tests use it to delay a commit)."""
        await connection.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))", JOURNAL_LOCK_NAMESPACE, persistence_id
        )
        current = await connection.fetchval(
            "SELECT COALESCE(max(sequence), 0) FROM cloudstate_journal WHERE persistence_id = $1 AND entity_id = $2",
            persistence_id,
            entity_id,
        )
        check_sequence(persistence_id, entity_id, current, expected_sequence)
        type_urls = [e.type_url for e in events]
        payloads = [e.value for e in events]
        await connection.execute(_INSERT_EVENTS, persistence_id, entity_id, expected_sequence, type_urls, payloads)
        last = expected_sequence + len(events)
        if snapshot is not None:
            await connection.execute(
                _UPSERT_SNAPSHOT, persistence_id, entity_id, last, snapshot.type_url, snapshot.value
            )
        return last

    async def events_by_persistence_id(
        self, persistence_id: str, after_offset: int, limit: int
    ) -> Sequence[TaggedEvent]:
        if limit <= 0:
            raise ValueError(f"limit must be > 0, not {limit}")
        async with self._connect() as connection:
            rows = await connection.fetch(_EVENT_LOG, persistence_id, after_offset, limit)
        return [TaggedEvent(r["ordering"], r["entity_id"], StoredEvent(r["sequence"], _payload(r))) for r in rows]
