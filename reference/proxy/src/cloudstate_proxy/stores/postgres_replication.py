"""CRDT replication between proxies that share one PostgreSQL database.

Changes: every write notifies :data:`~.postgres_crdt.CHANGES_CHANNEL` at
commit. Each proxy listens on a connection of its own; for another replica's
change it asks the CRDT engine of the persistence id to merge the stored state
into the entity's copy (when it holds one), then acknowledges on
:data:`ACKS_CHANNEL` with the version it merged. A writer waiting for MAJORITY
or ALL counts those acknowledgements from replicas that are up.

Liveness: each proxy upserts its row in ``cloudstate_crdt_replicas`` every
heartbeat interval and reads which replicas reported within the liveness
window, by the database's clock. A proxy that stops deletes its row; one that
crashes drops out after the window. When the listening connection is lost,
notifications may be missed, so after reconnecting every entity held is
reloaded: a change therefore reaches the other replicas at once, or at the
latest about one heartbeat interval after the database is reachable again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import secrets
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import asyncpg

from cloudstate_proxy.stores.postgres_crdt import CHANGES_CHANNEL, MAX_PAYLOAD, RESYNC
from cloudstate_proxy.stores.replication import Replication, required_replicas

if TYPE_CHECKING:
    from cloudstate_proxy.stores.postgres_journal import Connector

log = logging.getLogger(__name__)

ACKS_CHANNEL = "cloudstate_crdt_acks"
#: Acknowledgements are kept for this many recently written entities (a writer needs only its own, briefly).
TRACKED_ENTITIES = 4096

_HEARTBEAT = """
    INSERT INTO cloudstate_crdt_replicas (replica_id, incarnation) VALUES ($1, $2)
    ON CONFLICT (replica_id) DO UPDATE SET incarnation = excluded.incarnation, last_seen = now()
    RETURNING (SELECT incarnation FROM cloudstate_crdt_replicas WHERE replica_id = $1)
"""
_UP = "SELECT replica_id FROM cloudstate_crdt_replicas WHERE last_seen > now() - make_interval(secs => $1)"
# Rows of replicas gone for long (every restart with a generated id leaves one) are removed.
_PRUNE = "DELETE FROM cloudstate_crdt_replicas WHERE last_seen < now() - make_interval(secs => $1)"


class PostgresReplication(Replication):
    def __init__(
        self, dsn: str, connect: Connector, replica: str, heartbeat: float, window: float, connect_timeout: float
    ) -> None:
        super().__init__(replica)
        self._dsn, self._connect, self._connect_timeout = dsn, connect, connect_timeout
        self._heartbeat, self._window = heartbeat, window
        self._incarnation = secrets.token_hex(8)
        self._beats = 0
        self._live = frozenset((replica,))
        self._listener: asyncpg.Connection | None = None
        self._loop: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._acks: collections.OrderedDict[tuple[str, str], dict[str, int]] = collections.OrderedDict()
        self._wakeup = asyncio.Event()  # replaced after every set: a waiter waits on the one it saw

    def live(self) -> frozenset[str]:
        return self._live

    async def start(self) -> None:
        await self._tick()
        self._loop = asyncio.get_running_loop().create_task(self._run(), name=f"replica {self.replica}")

    async def close(self) -> None:
        for task in [*([self._loop] if self._loop else []), *self._tasks]:
            task.cancel()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), self._connect_timeout)
        with contextlib.suppress(Exception):  # stopped replicas are down at once, not after the window
            async with self._connect() as connection:
                await connection.execute("DELETE FROM cloudstate_crdt_replicas WHERE replica_id = $1", self.replica)

    async def replicated(
        self, persistence_id: str, entity_id: str, version: int, consistency: int, timeout: float
    ) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            live, acks = self._live, self._acks.get((persistence_id, entity_id), {})
            holding = 1 + sum(1 for r, v in acks.items() if r in live and r != self.replica and v >= version)
            if holding >= required_replicas(consistency, len(live)):
                return True
            if loop.time() >= deadline:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), deadline - loop.time())

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            await self._tick()

    async def _tick(self) -> None:
        try:
            await self._listen()
            await self._beat()
        except Exception as error:  # the database is away: try again at the next beat
            log.warning(
                "CRDT replication cannot reach the database", extra={"error": f"{type(error).__name__}: {error}"}
            )

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        connection = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
        await connection.add_listener(CHANGES_CHANNEL, self._on_change)
        await connection.add_listener(ACKS_CHANNEL, self._on_ack)
        self._listener = connection
        for watcher in list(self._watchers.values()):  # whatever was announced while nobody listened
            self._spawn(watcher.resync())

    async def _beat(self) -> None:
        async with self._connect() as connection:
            previous = await connection.fetchval(_HEARTBEAT, self.replica, self._incarnation)
            rows = await connection.fetch(_UP, self._window)
            if self._beats % 100 == 0:
                await connection.execute(_PRUNE, max(3600.0, 100 * self._window))
        if self._beats and previous != self._incarnation:
            log.error("another proxy process uses the same replica id", extra={"replica": self.replica})
        self._beats += 1
        live = frozenset(row["replica_id"] for row in rows) | {self.replica}
        if live != self._live:
            log.info("CRDT replicas up changed", extra={"replicas": sorted(live)})
            self._live = live
            self._membership_changed()
            self._wake()

    def _on_change(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        if payload == RESYNC:
            for watcher in list(self._watchers.values()):
                self._spawn(watcher.resync())
            return
        notice = _notice(payload)
        if notice is not None and notice[3] != self.replica:
            self._spawn(self._merge(*notice[:3]))

    async def _merge(self, persistence_id: str, entity_id: str, version: int) -> None:
        watcher = self._watchers.get(persistence_id)
        try:
            merged = await watcher.remote_change(entity_id) if watcher is not None else None
            ack = {"p": persistence_id, "e": entity_id, "v": max(version, merged or 0), "r": self.replica}
            text = json.dumps(ack, separators=(",", ":"))
            if len(text.encode()) <= MAX_PAYLOAD:
                async with self._connect() as connection:
                    await connection.execute("SELECT pg_notify($1, $2)", ACKS_CHANNEL, text)
        except Exception as error:  # not acknowledged: a writer waiting for this replica times out
            log.warning(
                "merging a remote CRDT change failed",
                extra={"persistence_id": persistence_id, "entity_id": entity_id, "error": str(error)},
            )

    def _on_ack(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        notice = _notice(payload)
        if notice is None or notice[3] == self.replica:
            return
        persistence_id, entity_id, version, replica = notice
        acks = self._acks.setdefault((persistence_id, entity_id), {})
        self._acks.move_to_end((persistence_id, entity_id))
        acks[replica] = max(acks.get(replica, 0), version)
        while len(self._acks) > TRACKED_ENTITIES:
            self._acks.popitem(last=False)
        self._wake()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _notice(payload: object) -> tuple[str, str, int, str] | None:
    """(persistence id, entity id, version, replica) of a change or acknowledgement; None if malformed."""
    try:
        fields = json.loads(str(payload))
        notice = (fields["p"], fields["e"], fields["v"], fields["r"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed CRDT notification", extra={"payload": str(payload)[:200]})
        return None
    if not (isinstance(notice[0], str) and isinstance(notice[1], str) and isinstance(notice[2], int)):
        return None
    return notice[0], notice[1], notice[2], str(notice[3])
