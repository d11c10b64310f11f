"""Reading the journal as an event log (spec/14-eventing.md), against every store."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from cloudstate_proxy.stores import Store, TaggedEvent
from google.protobuf import any_pb2


def payload(text: str) -> any_pb2.Any:
    return any_pb2.Any(type_url="type.googleapis.com/example.Event", value=text.encode())


def summary(tagged: Sequence[TaggedEvent]) -> list[tuple[str, int, bytes]]:
    return [(t.entity_id, t.event.sequence, t.event.payload.value) for t in tagged]


async def fill(store: Store) -> None:
    """Interleaved appends to two entities of "carts", and one to another persistence id."""
    await store.journal.append("carts", "a", 0, [payload("a1"), payload("a2")])
    await store.journal.append("orders", "a", 0, [payload("orders a1")])
    await store.journal.append("carts", "b", 0, [payload("b1")], payload("snapshot"))
    await store.journal.append("carts", "a", 2, [payload("a3")])


EXPECTED = [("a", 1, b"a1"), ("a", 2, b"a2"), ("b", 1, b"b1"), ("a", 3, b"a3")]


async def test_the_log_holds_every_entity_of_a_persistence_id_in_append_order(store: Store) -> None:
    await fill(store)
    log = list(await store.journal.events_by_persistence_id("carts", 0, 100))
    assert summary(log) == EXPECTED
    offsets = [t.offset for t in log]
    assert offsets == sorted(set(offsets))
    assert offsets[0] > 0
    assert summary(await store.journal.events_by_persistence_id("orders", 0, 100)) == [("a", 1, b"orders a1")]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
async def test_paging_by_offset_and_limit_reads_each_event_once(store: Store, limit: int) -> None:
    await fill(store)
    seen: list[TaggedEvent] = []
    after = 0
    while page := await store.journal.events_by_persistence_id("carts", after, limit):
        assert len(page) <= limit
        seen.extend(page)
        after = page[-1].offset
    assert summary(seen) == EXPECTED
    assert len(seen) == len(EXPECTED)


async def test_reading_after_an_offset_skips_exactly_the_events_up_to_it(store: Store) -> None:
    await fill(store)
    log = list(await store.journal.events_by_persistence_id("carts", 0, 100))
    for i, tagged in enumerate(log):
        assert summary(await store.journal.events_by_persistence_id("carts", tagged.offset, 100)) == EXPECTED[i + 1 :]


async def test_events_appended_later_get_higher_offsets(store: Store) -> None:
    await fill(store)
    last = (await store.journal.events_by_persistence_id("carts", 0, 100))[-1].offset
    await store.journal.append("carts", "c", 0, [payload("c1")])
    await store.journal.append("carts", "b", 1, [payload("b2")])
    later = await store.journal.events_by_persistence_id("carts", last, 100)
    assert summary(later) == [("c", 1, b"c1"), ("b", 2, b"b2")]
    assert last < later[0].offset < later[1].offset


async def test_an_unknown_persistence_id_has_an_empty_log(store: Store) -> None:
    await fill(store)
    assert list(await store.journal.events_by_persistence_id("nobody", 0, 10)) == []


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_limit_below_one_is_refused(store: Store, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.journal.events_by_persistence_id("carts", 0, limit)
