"""PostgreSQL only: the database goes away and comes back; nothing acknowledged is lost.

These tests stop the session's shared server and always start it again
before they finish, whatever happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from cloudstate_proxy.errors import StoreUnavailable
from cloudstate_proxy.stores import PostgresStore
from cloudstate_proxy.testing import TemporaryPostgres
from google.protobuf import any_pb2


def payload(text: str) -> any_pb2.Any:
    return any_pb2.Any(type_url="type.googleapis.com/example.Event", value=text.encode())


@pytest.fixture
def server(postgres_server: TemporaryPostgres) -> Iterator[TemporaryPostgres]:
    """The shared server, guaranteed to be running again after the test."""
    yield postgres_server
    postgres_server.start()


@pytest.fixture
async def store(server: TemporaryPostgres, postgres_dsn: str) -> AsyncIterator[PostgresStore]:
    opened = PostgresStore(postgres_dsn, connect_timeout=2.0)
    await opened.start()
    yield opened
    await opened.close()


async def test_writes_fail_cleanly_during_an_outage_and_succeed_after_it(
    server: TemporaryPostgres, store: PostgresStore
) -> None:
    await store.journal.append("carts", "c1", 0, [payload("a1"), payload("a2")], payload("snapshot at 2"))
    await store.values.put("counters", "v1", payload("before"))

    await asyncio.to_thread(server.stop)
    assert not await store.healthy()
    with pytest.raises(StoreUnavailable):
        await store.journal.append("carts", "c1", 2, [payload("lost 3"), payload("lost 4")], payload("lost snapshot"))
    with pytest.raises(StoreUnavailable):
        await store.values.put("counters", "v1", payload("lost"))
    with pytest.raises(StoreUnavailable):
        await store.journal.recover("carts", "c1")
    with pytest.raises(StoreUnavailable):
        await store.journal.events_by_persistence_id("carts", 0, 10)

    await asyncio.to_thread(server.start)
    # The store reconnects by itself: the very first write after the restart succeeds.
    assert await store.journal.append("carts", "c1", 2, [payload("a3")]) == 3
    assert await store.healthy()
    recovery = await store.journal.recover("carts", "c1")
    assert recovery.snapshot is not None
    assert (recovery.snapshot.sequence, recovery.snapshot.payload.value) == (2, b"snapshot at 2")
    assert [e.payload.value for e in recovery.events] == [b"a3"]
    log = await store.journal.events_by_persistence_id("carts", 0, 10)
    assert [t.event.payload.value for t in log] == [b"a1", b"a2", b"a3"]
    assert await store.values.get("counters", "v1") == payload("before")


async def test_a_crash_during_concurrent_writes_keeps_every_acknowledged_write(
    server: TemporaryPostgres, store: PostgresStore
) -> None:
    """Writers append batches until the server is killed; afterwards each journal holds every batch
    that was acknowledged, plus at most the one batch whose commit outcome was unknown, never part of one."""
    acknowledged: dict[str, int] = {}
    crashed = asyncio.Event()

    async def writer(entity: str) -> None:
        sequence = 0
        while not crashed.is_set() or sequence == 0:
            batch = [payload(f"{entity}:{sequence + k + 1}") for k in range(3)]
            try:
                sequence = await store.journal.append("carts", entity, sequence, batch)
            except StoreUnavailable:
                if crashed.is_set():
                    return
                raise
            acknowledged[entity] = sequence
            await asyncio.sleep(0)

    entities = [f"e{n}" for n in range(6)]
    writing = asyncio.gather(*(writer(e) for e in entities))
    while len(acknowledged) < len(entities):  # every writer has had at least one write acknowledged
        await asyncio.sleep(0.01)
    crashed.set()
    await asyncio.to_thread(server.stop, "immediate")
    await writing

    await asyncio.to_thread(server.start)
    for entity in entities:
        events = (await store.journal.recover("carts", entity)).events
        assert len(events) in (acknowledged[entity], acknowledged[entity] + 3)
        assert [e.payload.value for e in events] == [f"{entity}:{s}".encode() for s in range(1, len(events) + 1)]
    # And the store takes writes again.
    assert await store.journal.append("carts", "after", 0, [payload("after")]) == 1
