"""The PostgreSQL schema and its migrations.

Tables (all prefixed ``cloudstate_`` so that they can share a database):

``cloudstate_journal``
    One row per event; primary key (persistence_id, entity_id, sequence), so a
    second writer at the same sequence fails with a unique violation.
    ``ordering`` (an identity column, global) is the event-log offset; the
    index on (persistence_id, ordering) serves event-log reads.
``cloudstate_snapshots``
    The latest snapshot per entity only (primary key (persistence_id,
    entity_id)). Recovery never needs an older one, the journal keeps the full
    history anyway (spec ES-010, ES-011), and keeping every snapshot would grow
    the table by one full state per snapshot interval for no reader.
``cloudstate_values``
    Value-entity state, primary key (persistence_id, entity_id); a delete
    removes the row.
``cloudstate_crdt_state`` (migration 2)
    The merged state of each CRDT entity (``cloudstate_proxy.crdt.encode``),
    primary key (persistence_id, entity_id), with a version raised by every
    write; a deleted entity keeps its row, holding a tombstone.
``cloudstate_crdt_replicas`` (migration 2)
    One row per proxy process taking part in CRDT replication: its replica id,
    the random incarnation of the process that last used the id, and when it
    last reported itself alive (database time, so the proxies' clocks do not
    matter).
``cloudstate_schema_version``
    One row per applied migration.

Migrations are numbered 1, 2, 3, ... and applied in order, each exactly once,
in a single transaction that first takes a transaction-level advisory lock:
two proxies starting against an empty database at the same moment serialise
there, and the second finds everything done. DDL is transactional in
PostgreSQL, so a failed migration leaves no trace. A database whose schema is
newer than this code knows is refused rather than used.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from cloudstate_proxy.errors import StoreUnavailable

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    #: A plain connection or one lent by the pool (which proxies the same methods).
    Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy

#: Advisory lock key held while the schema is checked or migrated ("cloudsta" as a big-endian int64).
SCHEMA_LOCK = int.from_bytes(b"cloudsta", "big")


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "journal, latest snapshots, value-entity state",
        (
            """
            CREATE TABLE cloudstate_journal (
                ordering       BIGINT GENERATED ALWAYS AS IDENTITY,
                persistence_id TEXT NOT NULL,
                entity_id      TEXT NOT NULL,
                sequence       BIGINT NOT NULL CHECK (sequence > 0),
                type_url       TEXT NOT NULL,
                payload        BYTEA NOT NULL,
                written_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (persistence_id, entity_id, sequence)
            )
            """,
            "CREATE UNIQUE INDEX cloudstate_journal_event_log ON cloudstate_journal (persistence_id, ordering)",
            """
            CREATE TABLE cloudstate_snapshots (
                persistence_id TEXT NOT NULL,
                entity_id      TEXT NOT NULL,
                sequence       BIGINT NOT NULL CHECK (sequence > 0),
                type_url       TEXT NOT NULL,
                payload        BYTEA NOT NULL,
                written_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (persistence_id, entity_id)
            )
            """,
            """
            CREATE TABLE cloudstate_values (
                persistence_id TEXT NOT NULL,
                entity_id      TEXT NOT NULL,
                type_url       TEXT NOT NULL,
                payload        BYTEA NOT NULL,
                written_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (persistence_id, entity_id)
            )
            """,
        ),
    ),
    Migration(
        2,
        "CRDT state and replica liveness",
        (
            """
            CREATE TABLE cloudstate_crdt_state (
                persistence_id TEXT NOT NULL,
                entity_id      TEXT NOT NULL,
                version        BIGINT NOT NULL,
                state          BYTEA NOT NULL,
                written_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (persistence_id, entity_id)
            )
            """,
            """
            CREATE TABLE cloudstate_crdt_replicas (
                replica_id  TEXT PRIMARY KEY,
                incarnation TEXT NOT NULL,
                started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
                last_seen   TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
        ),
    ),
)


async def migrate(connection: Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Bring the schema up to the last of ``migrations``; returns the versions applied now (often none)."""
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise ValueError("migrations must be numbered 1, 2, 3, ... in order")
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS cloudstate_schema_version (
                version     INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """
        )
        current = await connection.fetchval("SELECT COALESCE(max(version), 0) FROM cloudstate_schema_version")
        if current > len(migrations):
            raise StoreUnavailable(
                f"the database schema is at version {current}, newer than this proxy's {len(migrations)}; "
                "upgrade the proxy"
            )
        applied = []
        for migration in migrations[current:]:
            for statement in migration.statements:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO cloudstate_schema_version (version, description) VALUES ($1, $2)",
                migration.version,
                migration.description,
            )
            applied.append(migration.version)
        return applied
