"""The CRDT state contract (spec/12-crdt.md, durability), against every store: read-merge-write, tombstones."""

from __future__ import annotations

import asyncio

import pytest
from cloudstate import crdt_pb2
from cloudstate_proxy.crdt import TOMBSTONE, Crdt, Replicated, Tombstone, Value, apply_delta, value_of
from cloudstate_proxy.crdt.values import GCounterValue, ORSetValue
from cloudstate_proxy.errors import InvalidRequest
from cloudstate_proxy.stores import Store
from google.protobuf import any_pb2


def counted(replica: str, n: int) -> Crdt:
    return apply_delta(None, replica, crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=n)), 0)


def added(replica: str, *elements: str) -> Crdt:
    anys = [any_pb2.Any(type_url="t/E", value=e.encode()) for e in elements]
    return apply_delta(None, replica, crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=anys)), 0)


def value(state: Replicated) -> Value:
    assert not isinstance(state, Tombstone)
    return value_of(state, "a")


async def test_an_entity_never_written_has_no_state(store: Store) -> None:
    assert await store.crdts.load("counters", "c1") is None


async def test_the_first_write_stores_the_state_as_version_1(store: Store) -> None:
    saved = await store.crdts.merge_and_save("counters", "c1", counted("a", 3))
    assert (saved.state, saved.version) == (counted("a", 3), 1)
    assert await store.crdts.load("counters", "c1") == saved


async def test_writes_of_two_replicas_are_merged_not_replaced(store: Store) -> None:
    await store.crdts.merge_and_save("counters", "c1", counted("a", 3))
    saved = await store.crdts.merge_and_save("counters", "c1", counted("b", 4), "b")
    assert value(saved.state) == GCounterValue(7)
    assert saved.version == 2
    again = await store.crdts.merge_and_save("counters", "c1", counted("a", 3))  # idempotent
    assert value(again.state) == GCounterValue(7)
    assert again.version == 3


async def test_a_tombstone_wins_and_stays(store: Store) -> None:
    await store.crdts.merge_and_save("counters", "c1", counted("a", 3))
    assert (await store.crdts.merge_and_save("counters", "c1", TOMBSTONE)).state == TOMBSTONE
    later = await store.crdts.merge_and_save("counters", "c1", counted("b", 9))
    assert isinstance(later.state, Tombstone)
    loaded = await store.crdts.load("counters", "c1")
    assert loaded is not None
    assert isinstance(loaded.state, Tombstone)


async def test_concurrent_writers_lose_nothing(store: Store) -> None:
    replicas = [f"r{n}" for n in range(12)]
    await asyncio.gather(*(store.crdts.merge_and_save("sets", "s", added(r, r)) for r in replicas))
    stored = await store.crdts.load("sets", "s")
    assert stored is not None
    assert stored.version == len(replicas)
    assert value(stored.state) == ORSetValue(frozenset(("t/E", r.encode()) for r in replicas))


async def test_entities_and_persistence_ids_are_separate(store: Store) -> None:
    await store.crdts.merge_and_save("counters", "c1", counted("a", 1))
    await store.crdts.merge_and_save("counters", "c2", counted("a", 2))
    await store.crdts.merge_and_save("others", "c1", added("a", "x"))
    loaded = [await store.crdts.load(p, e) for p, e in (("counters", "c1"), ("counters", "c2"), ("others", "c1"))]
    assert [value(s.state) for s in loaded if s is not None] == [
        GCounterValue(1),
        GCounterValue(2),
        ORSetValue(frozenset({("t/E", b"x")})),
    ]


async def test_an_entity_id_with_nul_is_refused(store: Store) -> None:
    with pytest.raises(InvalidRequest):
        await store.crdts.merge_and_save("counters", "c\x001", counted("a", 1))
    with pytest.raises(InvalidRequest):
        await store.crdts.load("counters", "c\x001")
