"""PostgreSQL only: schema migrations, several proxies on one database, offsets under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from cloudstate_proxy.errors import ConcurrencyConflict, StoreUnavailable
from cloudstate_proxy.stores import PostgresStore
from cloudstate_proxy.stores.postgres_schema import MIGRATIONS, Migration, migrate
from google.protobuf import any_pb2

ALL_VERSIONS = [m.version for m in MIGRATIONS]


def payload(text: str) -> any_pb2.Any:
    return any_pb2.Any(type_url="type.googleapis.com/example.Event", value=text.encode())


@pytest.fixture
async def proxies(postgres_dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one empty database, like two proxy replicas, started at the same moment."""
    first, second = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)
    await asyncio.gather(first.start(), second.start())
    yield first, second
    await asyncio.gather(first.close(), second.close())


async def schema_versions(dsn: str) -> list[int]:
    connection = await asyncpg.connect(dsn)
    try:
        return [
            r["version"] for r in await connection.fetch("SELECT version FROM cloudstate_schema_version ORDER BY 1")
        ]
    finally:
        await connection.close()


async def test_two_proxies_starting_on_an_empty_database_migrate_it_once(
    proxies: tuple[PostgresStore, PostgresStore], postgres_dsn: str
) -> None:
    assert await schema_versions(postgres_dsn) == [m.version for m in MIGRATIONS]
    async with proxies[0].connection() as connection:
        assert await migrate(connection) == []  # nothing left to do


async def test_data_survives_closing_and_reopening_the_store(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    await store.start()
    await store.journal.append("carts", "c1", 0, [payload("a"), payload("b")], payload("snap"))
    await store.values.put("counters", "c1", payload("v"))
    await store.close()
    reopened = PostgresStore(postgres_dsn)
    await reopened.start()
    try:
        recovery = await reopened.journal.recover("carts", "c1")
        assert recovery.snapshot is not None
        assert recovery.sequence == 2
        assert await reopened.values.get("counters", "c1") == payload("v")
    finally:
        await reopened.close()
    assert await schema_versions(postgres_dsn) == ALL_VERSIONS


async def test_later_migrations_are_applied_in_order_exactly_once(postgres_dsn: str) -> None:
    last = len(MIGRATIONS)
    newer = (
        *MIGRATIONS,
        Migration(last + 1, "a test table", ("CREATE TABLE test_extra (id INTEGER PRIMARY KEY)",)),
        Migration(last + 2, "a column on it", ("ALTER TABLE test_extra ADD COLUMN note TEXT",)),
    )
    connection = await asyncpg.connect(postgres_dsn)
    try:
        assert await migrate(connection, MIGRATIONS[:1]) == [1]  # a database of the first release
        assert await migrate(connection) == ALL_VERSIONS[1:]  # this proxy's own migrations on top of it
        assert await migrate(connection, newer) == [last + 1, last + 2]
        assert await migrate(connection, newer) == []
        await connection.execute("INSERT INTO test_extra (id, note) VALUES (1, 'both migrations ran')")
        with pytest.raises(StoreUnavailable, match="newer than this proxy"):
            await migrate(connection)
        with pytest.raises(ValueError, match="numbered"):
            await migrate(connection, (*MIGRATIONS, Migration(last + 3, "a gap", ())))
    finally:
        await connection.close()
    assert await schema_versions(postgres_dsn) == [*ALL_VERSIONS, last + 1, last + 2]


async def test_a_failed_migration_leaves_no_trace(postgres_dsn: str) -> None:
    broken = (
        *MIGRATIONS,
        Migration(len(MIGRATIONS) + 1, "broken", ("CREATE TABLE test_half (id INTEGER)", "NOT SQL AT ALL")),
    )
    connection = await asyncpg.connect(postgres_dsn)
    try:
        await migrate(connection)
        with pytest.raises(asyncpg.PostgresSyntaxError):
            await migrate(connection, broken)
        assert await connection.fetchval("SELECT to_regclass('test_half')") is None
    finally:
        await connection.close()
    assert await schema_versions(postgres_dsn) == ALL_VERSIONS


async def test_two_proxies_see_each_others_writes_and_conflicts(proxies: tuple[PostgresStore, PostgresStore]) -> None:
    one, two = proxies
    await one.journal.append("carts", "c1", 0, [payload("from one")])
    assert [e.payload.value for e in (await two.journal.recover("carts", "c1")).events] == [b"from one"]
    assert await two.journal.append("carts", "c1", 1, [payload("from two")]) == 2
    with pytest.raises(ConcurrencyConflict):
        await one.journal.append("carts", "c1", 1, [payload("stale one")])
    outcomes = await asyncio.gather(
        one.journal.append("carts", "c1", 2, [payload("race one")]),
        two.journal.append("carts", "c1", 2, [payload("race two")]),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrencyConflict", "int"]
    await two.values.put("counters", "x", payload("v2"))
    assert await one.values.get("counters", "x") == payload("v2")
    await one.values.delete("counters", "x")
    assert await two.values.get("counters", "x") is None


async def test_a_duplicate_key_is_a_concurrency_conflict(proxies: tuple[PostgresStore, PostgresStore]) -> None:
    """The primary key is the last guard; its violation is mapped where every database error is."""
    store = proxies[0]
    await store.journal.append("carts", "c1", 0, [payload("a")])
    with pytest.raises(ConcurrencyConflict):
        async with store.connection() as connection:
            await connection.execute(
                "INSERT INTO cloudstate_journal (persistence_id, entity_id, sequence, type_url, payload)"
                " VALUES ('carts', 'c1', 1, 'x', 'x')"
            )


async def test_an_offset_never_appears_while_a_lower_one_is_uncommitted(
    proxies: tuple[PostgresStore, PostgresStore],
) -> None:
    """A consumer resuming after the highest offset it saw must not skip an event that commits later."""
    store, other = proxies
    async with store.connection() as slow, slow.transaction():
        # A slow writer has taken its offset but not committed...
        await store.journal.append_in(slow, "carts", "slow", 0, [payload("slow")])
        # ...while a second writer to the same persistence id tries to commit.
        fast = asyncio.create_task(other.journal.append("carts", "fast", 0, [payload("fast")]))
        await asyncio.sleep(0.2)
        seen = await other.journal.events_by_persistence_id("carts", 0, 10)
        assert seen == []  # the fast writer waits, so a consumer sees no offset beyond the pending one
        assert not fast.done()
    await fast
    log = await other.journal.events_by_persistence_id("carts", 0, 10)
    assert [t.entity_id for t in log] == ["slow", "fast"]
    assert log[0].offset < log[1].offset


async def test_a_consumer_polling_during_concurrent_appends_sees_every_event_once(
    proxies: tuple[PostgresStore, PostgresStore],
) -> None:
    one, two = proxies
    writers, appends = 8, 12

    async def writer(n: int) -> None:
        store = one if n % 2 else two
        for i in range(appends):
            await store.journal.append("carts", f"e{n}", 2 * i, [payload(f"{n}:{i}:a"), payload(f"{n}:{i}:b")])

    async def consumer(done: asyncio.Event) -> list[bytes]:
        seen: list[bytes] = []
        after = 0
        while True:
            finished = done.is_set()  # read before polling, so the last poll sees everything
            page = await one.journal.events_by_persistence_id("carts", after, 7)
            seen += [t.event.payload.value for t in page]
            after = page[-1].offset if page else after
            if finished and not page:
                return seen

    done = asyncio.Event()
    consuming = asyncio.create_task(consumer(done))
    try:
        await asyncio.gather(*(writer(n) for n in range(writers)))
    finally:
        done.set()
        seen = await consuming
    assert len(seen) == writers * appends * 2
    assert sorted(seen) == sorted(f"{n}:{i}:{x}".encode() for n in range(writers) for i in range(appends) for x in "ab")


async def test_health_follows_the_lifecycle(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    assert not await store.healthy()
    with pytest.raises(StoreUnavailable, match="not started"):
        await store.values.get("counters", "c1")
    await store.start()
    assert await store.healthy()
    await store.close()
    assert not await store.healthy()
    await store.close()  # closing twice is harmless
