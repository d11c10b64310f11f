"""PostgreSQL only: CRDT change notices, acknowledgements and replica liveness between proxies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from cloudstate import crdt_pb2
from cloudstate_proxy.crdt import apply_delta
from cloudstate_proxy.stores import PostgresStore
from cloudstate_proxy.stores.replication import Replication, required_replicas

HEARTBEAT, WINDOW = 0.05, 0.5


class Watcher:
    """A CRDT engine stand-in that records the remote changes it is told about."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.changed: list[str] = []
        self.resyncs = 0

    async def remote_change(self, entity_id: str) -> int | None:
        self.changed.append(entity_id)
        stored = await self.store.crdts.load("counters", entity_id)
        return None if stored is None else stored.version

    async def resync(self) -> None:
        self.resyncs += 1


@contextlib.asynccontextmanager
async def replica(dsn: str, name: str) -> AsyncIterator[tuple[PostgresStore, Replication, Watcher]]:
    store = PostgresStore(dsn)
    await store.start()
    replication = store.replication(name, HEARTBEAT, WINDOW)
    watcher = Watcher(store)
    replication.watch("counters", watcher)
    await replication.start()
    try:
        yield store, replication, watcher
    finally:
        await replication.close()
        await store.close()


async def eventually(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def increment(replica: str) -> crdt_pb2.CrdtDelta:
    return crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=1))


async def test_replicas_see_each_other_up_and_a_stopped_one_down(postgres_dsn: str) -> None:
    async with replica(postgres_dsn, "a") as (_, a, _w):
        changes: list[frozenset[str]] = []
        a.on_membership(lambda: changes.append(a.live()))
        async with replica(postgres_dsn, "b") as (_, b, _v):
            await eventually(lambda: a.live() == {"a", "b"} and b.live() == {"a", "b"})
        await eventually(lambda: a.live() == {"a"})
        assert changes == [frozenset({"a", "b"}), frozenset({"a"})]


async def test_a_replica_that_stops_beating_is_down_after_the_window(postgres_dsn: str) -> None:
    async with replica(postgres_dsn, "a") as (store, a, _w):
        async with store.connection() as connection:  # a replica that crashed long ago and one that is alive
            await connection.execute(
                "INSERT INTO cloudstate_crdt_replicas (replica_id, incarnation, last_seen) VALUES "
                "('gone', 'x', now() - interval '1 hour'), ('fresh', 'y', now())"
            )
        await eventually(lambda: a.live() == {"a", "fresh"})
        await eventually(lambda: a.live() == {"a"})  # "fresh" never beats again


async def test_a_change_is_announced_merged_acknowledged_and_counted(postgres_dsn: str) -> None:
    async with replica(postgres_dsn, "a") as (store_a, a, watcher_a), replica(postgres_dsn, "b") as (_, b, watcher_b):
        await eventually(lambda: a.live() == {"a", "b"} and b.live() == {"a", "b"})
        saved = await store_a.crdts.merge_and_save("counters", "c1", apply_delta(None, "a", increment("a"), 0), "a")
        assert await a.replicated("counters", "c1", saved.version, crdt_pb2.ALL, 5.0)
        assert watcher_b.changed == ["c1"]
        assert watcher_a.changed == []  # its own change is not merged back
        assert watcher_a.resyncs == watcher_b.resyncs == 1  # once, when each started listening


async def test_an_unacknowledged_write_misses_all_but_meets_local(postgres_dsn: str) -> None:
    async with replica(postgres_dsn, "a") as (store, a, _w):
        async with store.connection() as connection:  # an up replica that never acknowledges anything
            await connection.execute(
                "INSERT INTO cloudstate_crdt_replicas (replica_id, incarnation) VALUES ('mute', 'z')"
            )
        await eventually(lambda: a.live() == {"a", "mute"})
        saved = await store.crdts.merge_and_save("counters", "c1", apply_delta(None, "a", increment("a"), 0), "a")
        assert not await a.replicated("counters", "c1", saved.version, crdt_pb2.ALL, 0.2)
        assert not await a.replicated("counters", "c1", saved.version, crdt_pb2.MAJORITY, 0.2)  # 2 of 2 needed
        assert await a.replicated("counters", "c1", saved.version, crdt_pb2.LOCAL, 0.2)


async def test_required_replicas_per_consistency() -> None:
    assert [required_replicas(crdt_pb2.MAJORITY, n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert [required_replicas(crdt_pb2.ALL, n) for n in (1, 3)] == [1, 3]
    assert required_replicas(crdt_pb2.LOCAL, 5) == 1
