"""The event journal contract, run against every store (spec/09-event-sourced.md, "The journal")."""

from __future__ import annotations

import asyncio

import pytest
from cloudstate_proxy.errors import ConcurrencyConflict, EntityFailure, InvalidRequest
from cloudstate_proxy.stores import Store, StoredEvent
from google.protobuf import any_pb2

PID = "shopping-cart"


def payload(text: str, type_name: str = "example.Event") -> any_pb2.Any:
    return any_pb2.Any(type_url=f"type.googleapis.com/{type_name}", value=text.encode())


def values(events: tuple[StoredEvent, ...] | list[StoredEvent]) -> list[tuple[int, bytes]]:
    return [(e.sequence, e.payload.value) for e in events]


async def test_an_entity_without_events_recovers_empty(store: Store) -> None:
    recovery = await store.journal.recover(PID, "cart-1")
    assert recovery.snapshot is None
    assert recovery.events == ()
    assert recovery.sequence == 0


async def test_appended_events_recover_in_order_numbered_from_one(store: Store) -> None:
    """ES-002: sequence numbers 1, 2, 3, ... without gaps."""
    assert await store.journal.append(PID, "cart-1", 0, [payload("a"), payload("b"), payload("c")]) == 3
    recovery = await store.journal.recover(PID, "cart-1")
    assert values(recovery.events) == [(1, b"a"), (2, b"b"), (3, b"c")]
    assert recovery.sequence == 3


async def test_sequence_numbers_continue_across_appends(store: Store) -> None:
    await store.journal.append(PID, "cart-1", 0, [payload("a"), payload("b")])
    assert await store.journal.append(PID, "cart-1", 2, [payload("c")]) == 3
    assert await store.journal.append(PID, "cart-1", 3, [payload("d"), payload("e")]) == 5
    assert [e.sequence for e in (await store.journal.recover(PID, "cart-1")).events] == [1, 2, 3, 4, 5]


async def test_payloads_come_back_byte_for_byte(store: Store) -> None:
    """ES-003/ES-004: type URL and value unchanged, never decoded (these bytes are not a valid message)."""
    odd = [
        any_pb2.Any(type_url="type.googleapis.com/x.Évènement", value=bytes(range(256))),
        any_pb2.Any(type_url="", value=b""),
        any_pb2.Any(type_url="custom/weird url?x=1", value=b"\x00" * 1000 + b"\xff"),
        any_pb2.Any(type_url="type.googleapis.com/x.Big", value=bytes(range(256)) * 4096),  # 1 MiB
    ]
    snapshot = any_pb2.Any(type_url="type.googleapis.com/x.State", value=b"\x00\x01\x80\xfe")
    await store.journal.append(PID, "cart-1", 0, odd, snapshot)
    await store.journal.append(PID, "cart-2", 0, odd)
    assert (await store.journal.recover(PID, "cart-1")).snapshot.payload == snapshot  # type: ignore[union-attr]
    assert [e.payload for e in (await store.journal.recover(PID, "cart-2")).events] == odd
    logged = await store.journal.events_by_persistence_id(PID, 0, 100)
    assert [t.event.payload for t in logged] == odd + odd


async def test_stored_payloads_do_not_change_when_the_caller_mutates_its_messages(store: Store) -> None:
    event, snapshot = payload("before"), payload("state", "example.State")
    await store.journal.append(PID, "cart-1", 0, [event], snapshot)
    event.value, snapshot.value = b"after", b"after"
    recovered = await store.journal.recover(PID, "cart-1")
    recovered.snapshot.payload.value = b"changed by a reader"  # type: ignore[union-attr]
    again = await store.journal.recover(PID, "cart-1")
    assert again.snapshot is not None
    assert again.snapshot.payload.value == b"state"
    assert (await store.journal.recover(PID, "cart-2")).events == ()


async def test_a_snapshot_is_stored_as_of_the_last_event_of_its_append(store: Store) -> None:
    """ES-041; recovery is the latest snapshot plus the events after it (ES-016, ES-020)."""
    await store.journal.append(PID, "cart-1", 0, [payload("a"), payload("b"), payload("c")], payload("s3", "State"))
    recovery = await store.journal.recover(PID, "cart-1")
    assert recovery.snapshot is not None
    assert (recovery.snapshot.sequence, recovery.snapshot.payload.value) == (3, b"s3")
    assert recovery.events == ()
    assert recovery.sequence == 3

    await store.journal.append(PID, "cart-1", 3, [payload("d"), payload("e")])
    recovery = await store.journal.recover(PID, "cart-1")
    assert recovery.snapshot is not None
    assert recovery.snapshot.sequence == 3
    assert values(recovery.events) == [(4, b"d"), (5, b"e")]
    assert recovery.sequence == 5


async def test_the_latest_snapshot_wins_and_no_event_is_dropped(store: Store) -> None:
    """ES-009, ES-011: events covered by a snapshot stay in the journal and the event log."""
    await store.journal.append(PID, "cart-1", 0, [payload("a")], payload("s1", "State"))
    await store.journal.append(PID, "cart-1", 1, [payload("b"), payload("c")], payload("s3", "State"))
    await store.journal.append(PID, "cart-1", 3, [payload("d")])
    recovery = await store.journal.recover(PID, "cart-1")
    assert recovery.snapshot is not None
    assert (recovery.snapshot.sequence, recovery.snapshot.payload.value) == (3, b"s3")
    assert values(recovery.events) == [(4, b"d")]
    logged = await store.journal.events_by_persistence_id(PID, 0, 100)
    assert values([t.event for t in logged]) == [(1, b"a"), (2, b"b"), (3, b"c"), (4, b"d")]


@pytest.mark.parametrize("stale", [0, 1, 3, 7])
async def test_an_append_at_the_wrong_sequence_conflicts_and_writes_nothing(store: Store, stale: int) -> None:
    """ES-006: behind (another writer appended) or ahead (would leave a gap) are both conflicts."""
    await store.journal.append(PID, "cart-1", 0, [payload("a"), payload("b")], payload("s2", "State"))
    with pytest.raises(ConcurrencyConflict):
        await store.journal.append(PID, "cart-1", stale, [payload("x"), payload("y")], payload("sx", "State"))
    recovery = await store.journal.recover(PID, "cart-1")
    assert recovery.snapshot is not None
    assert (recovery.snapshot.sequence, recovery.snapshot.payload.value) == (2, b"s2")
    assert recovery.sequence == 2
    assert len(await store.journal.events_by_persistence_id(PID, 0, 100)) == 2


async def test_concurrent_appends_at_the_same_sequence_exactly_one_wins(store: Store) -> None:
    await store.journal.append(PID, "cart-1", 0, [payload("first")])
    writers = [store.journal.append(PID, "cart-1", 1, [payload(f"w{i}-a"), payload(f"w{i}-b")]) for i in range(6)]
    outcomes = await asyncio.gather(*writers, return_exceptions=True)
    winners = [i for i, outcome in enumerate(outcomes) if outcome == 3]
    assert len(winners) == 1
    assert all(isinstance(o, ConcurrencyConflict) for i, o in enumerate(outcomes) if i != winners[0])
    w = winners[0]
    assert values((await store.journal.recover(PID, "cart-1")).events) == [
        (1, b"first"),
        (2, f"w{w}-a".encode()),
        (3, f"w{w}-b".encode()),
    ]


async def test_journals_are_separate_per_persistence_id_and_entity_id(store: Store) -> None:
    """ES-001: the same entity id under two persistence ids is two journals."""
    await store.journal.append("carts", "e1", 0, [payload("carts/e1")], payload("state carts/e1", "State"))
    await store.journal.append("orders", "e1", 0, [payload("orders/e1 a"), payload("orders/e1 b")])
    await store.journal.append("carts", "e2", 0, [payload("carts/e2")])
    carts_e1 = await store.journal.recover("carts", "e1")
    assert carts_e1.snapshot is not None
    assert carts_e1.snapshot.payload.value == b"state carts/e1"
    orders_e1 = await store.journal.recover("orders", "e1")
    assert orders_e1.snapshot is None
    assert values(orders_e1.events) == [(1, b"orders/e1 a"), (2, b"orders/e1 b")]
    assert values((await store.journal.recover("carts", "e2")).events) == [(1, b"carts/e2")]
    assert (await store.journal.recover("orders", "e2")).events == ()
    with pytest.raises(ConcurrencyConflict):
        await store.journal.append("carts", "e1", 2, [payload("x")])


async def test_invalid_appends_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        await store.journal.append(PID, "cart-1", 0, [], payload("s", "State"))
    with pytest.raises(ValueError, match="expected_sequence"):
        await store.journal.append(PID, "cart-1", -1, [payload("a")])
    assert (await store.journal.recover(PID, "cart-1")).sequence == 0


async def test_text_a_store_cannot_hold_is_refused_with_a_proxy_error(store: Store) -> None:
    with pytest.raises(InvalidRequest):
        await store.journal.append(PID, "cart\x00", 0, [payload("a")])
    with pytest.raises(InvalidRequest):
        await store.journal.recover("bad\x00pid", "cart-1")
    with pytest.raises(EntityFailure):
        await store.journal.append(PID, "cart-1", 0, [any_pb2.Any(type_url="x\x00y", value=b"")])
    assert await store.journal.events_by_persistence_id(PID, 0, 10) == []


async def test_start_is_idempotent_and_keeps_data(store: Store) -> None:
    await store.journal.append(PID, "cart-1", 0, [payload("a")])
    await store.start()
    await store.start()
    assert values((await store.journal.recover(PID, "cart-1")).events) == [(1, b"a")]
    assert await store.healthy()
