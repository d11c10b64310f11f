"""The value-entity state contract (spec/10-value-entities.md), against every store."""

from __future__ import annotations

import pytest
from cloudstate_proxy.errors import EntityFailure, InvalidRequest
from cloudstate_proxy.stores import Store
from google.protobuf import any_pb2


def state(text: str, type_name: str = "example.State") -> any_pb2.Any:
    return any_pb2.Any(type_url=f"type.googleapis.com/{type_name}", value=text.encode())


async def test_an_entity_never_written_has_no_value(store: Store) -> None:
    assert await store.values.get("counters", "c1") is None


async def test_put_then_get_returns_the_value_byte_for_byte(store: Store) -> None:
    value = any_pb2.Any(type_url="type.googleapis.com/x.Zustand", value=bytes(range(256)) * 3)
    await store.values.put("counters", "c1", value)
    assert await store.values.get("counters", "c1") == value


async def test_put_replaces_the_previous_value_whatever_its_type(store: Store) -> None:
    await store.values.put("counters", "c1", state("one"))
    await store.values.put("counters", "c1", state("two", "example.Other"))
    assert await store.values.get("counters", "c1") == state("two", "example.Other")
    await store.values.put("counters", "c1", any_pb2.Any(type_url="type.googleapis.com/example.State"))
    assert await store.values.get("counters", "c1") == any_pb2.Any(type_url="type.googleapis.com/example.State")


async def test_delete_removes_the_value_and_a_later_put_creates_it_again(store: Store) -> None:
    await store.values.put("counters", "c1", state("one"))
    await store.values.delete("counters", "c1")
    assert await store.values.get("counters", "c1") is None
    await store.values.delete("counters", "c1")  # absent: not an error
    await store.values.delete("counters", "never")
    await store.values.put("counters", "c1", state("again"))
    assert await store.values.get("counters", "c1") == state("again")


async def test_values_are_separate_per_persistence_id_and_entity_id(store: Store) -> None:
    await store.values.put("counters", "c1", state("counters/c1"))
    await store.values.put("gauges", "c1", state("gauges/c1"))
    await store.values.put("counters", "c2", state("counters/c2"))
    await store.values.delete("gauges", "c1")
    assert await store.values.get("counters", "c1") == state("counters/c1")
    assert await store.values.get("counters", "c2") == state("counters/c2")
    assert await store.values.get("gauges", "c1") is None
    assert await store.values.get("gauges", "c2") is None


async def test_values_and_journals_do_not_share_keys(store: Store) -> None:
    await store.values.put("things", "t1", state("value"))
    assert (await store.journal.recover("things", "t1")).events == ()
    await store.journal.append("things", "t2", 0, [state("event", "example.Event")])
    assert await store.values.get("things", "t2") is None


async def test_stored_values_do_not_change_when_messages_are_mutated(store: Store) -> None:
    value = state("original")
    await store.values.put("counters", "c1", value)
    value.value = b"mutated by the writer"
    read = await store.values.get("counters", "c1")
    assert read is not None
    read.value = b"mutated by a reader"
    assert await store.values.get("counters", "c1") == state("original")


async def test_text_a_store_cannot_hold_is_refused_with_a_proxy_error(store: Store) -> None:
    with pytest.raises(InvalidRequest):
        await store.values.put("counters", "c\x001", state("x"))
    with pytest.raises(InvalidRequest):
        await store.values.get("counters\x00", "c1")
    with pytest.raises(EntityFailure):
        await store.values.put("counters", "c1", any_pb2.Any(type_url="a\x00b"))
    assert await store.values.get("counters", "c1") is None
