"""The PostgreSQL store: asyncpg with a connection pool.

Error mapping happens in exactly one place, :func:`database_errors`, around
pool creation and every connection (:meth:`PostgresStore.connection`, which
every query goes through): a unique violation (a second writer at the
same journal sequence) becomes :class:`~cloudstate_proxy.errors.ConcurrencyConflict`;
every other driver, server, socket or timeout error becomes
:class:`~cloudstate_proxy.errors.StoreUnavailable`. Each write is one
transaction, so a write that fails has either committed completely or not at
all (when the connection drops during COMMIT the outcome is unknown to us, the
command fails, and the proxy reloads the entity from what is actually stored).

Recovery from an outage needs no code of our own: the pool drops connections
that broke and opens new ones on the next acquire, which fails fast (connect
timeout) while the server is down and succeeds once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import asyncpg
from google.protobuf import any_pb2

from cloudstate_proxy.errors import ConcurrencyConflict, StoreUnavailable
from cloudstate_proxy.stores.base import Store, ValueStore, check_key, check_payload
from cloudstate_proxy.stores.postgres_crdt import PostgresCrdts
from cloudstate_proxy.stores.postgres_journal import PostgresJournal
from cloudstate_proxy.stores.postgres_replication import PostgresReplication
from cloudstate_proxy.stores.postgres_schema import migrate
from cloudstate_proxy.stores.replication import Replication

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from cloudstate_proxy.stores.postgres_journal import Connector

# Everything that means "the database cannot serve this right now" (or refused it); asyncpg's
# ConnectionDoesNotExistError and server shutdown errors are PostgresErrors, refused TCP
# connections are OSErrors, connect and command timeouts are TimeoutErrors.
_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn whatever the database or the network raises into the proxy's errors (the one mapping point)."""
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        raise ConcurrencyConflict(f"another writer got there first: {error}") from error
    except _UNAVAILABLE as error:
        raise StoreUnavailable(f"PostgreSQL: {type(error).__name__}: {error}") from error


class PostgresValues(ValueStore):
    def __init__(self, connect: Connector) -> None:
        self._connect = connect

    async def get(self, persistence_id: str, entity_id: str) -> any_pb2.Any | None:
        check_key(persistence_id, entity_id)
        async with self._connect() as connection:
            row = await connection.fetchrow(
                "SELECT type_url, payload FROM cloudstate_values WHERE persistence_id = $1 AND entity_id = $2",
                persistence_id,
                entity_id,
            )
        return None if row is None else any_pb2.Any(type_url=row["type_url"], value=row["payload"])

    async def put(self, persistence_id: str, entity_id: str, value: any_pb2.Any) -> None:
        check_key(persistence_id, entity_id)
        check_payload(value)
        async with self._connect() as connection:
            await connection.execute(
                """
                INSERT INTO cloudstate_values (persistence_id, entity_id, type_url, payload) VALUES ($1, $2, $3, $4)
                ON CONFLICT (persistence_id, entity_id) DO UPDATE
                SET type_url = excluded.type_url, payload = excluded.payload, written_at = now()
                """,
                persistence_id,
                entity_id,
                value.type_url,
                value.value,
            )

    async def delete(self, persistence_id: str, entity_id: str) -> None:
        check_key(persistence_id, entity_id)
        async with self._connect() as connection:
            await connection.execute(
                "DELETE FROM cloudstate_values WHERE persistence_id = $1 AND entity_id = $2", persistence_id, entity_id
            )


class PostgresStore(Store):
    """Journal, snapshots, values and CRDT states in a PostgreSQL database given by ``dsn`` (a ``postgresql://`` URL).

    Several proxies may share the database: they replicate CRDT changes through it (:meth:`replication`).
    """

    journal: PostgresJournal
    values: PostgresValues
    crdts: PostgresCrdts

    def __init__(
        self,
        dsn: str,
        *,
        min_connections: int = 1,
        max_connections: int = 10,
        connect_timeout: float = 5.0,
        command_timeout: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._min = min_connections
        self._max = max_connections
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self.journal = PostgresJournal(self.connection)
        self.values = PostgresValues(self.connection)
        self.crdts = PostgresCrdts(self.connection)

    def replication(self, replica: str, heartbeat: float, window: float) -> Replication:
        return PostgresReplication(self._dsn, self.connection, replica, heartbeat, window, self._connect_timeout)

    async def start(self) -> None:
        if self._pool is None:
            with database_errors():
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=self._min,
                    max_size=self._max,
                    timeout=self._connect_timeout,
                    command_timeout=self._command_timeout,
                    server_settings={"application_name": "cloudstate-proxy"},
                )
        async with self.connection() as connection:
            await migrate(connection)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except TimeoutError:
                pool.terminate()

    async def healthy(self) -> bool:
        try:
            async with self.connection() as connection:
                await connection.fetchval("SELECT 1", timeout=self._connect_timeout)
        except StoreUnavailable:
            return False
        return True

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[PoolConnectionProxy]:
        """A pooled connection; the one place where database errors become the proxy's errors."""
        pool = self._pool
        if pool is None:
            raise StoreUnavailable("the PostgreSQL store is not started (or already closed)")
        # Waiting for a free pooled connection is back-pressure, bounded like a command.
        with database_errors():
            async with pool.acquire(timeout=self._command_timeout) as connection:
                yield connection
