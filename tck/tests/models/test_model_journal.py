"""Properties of the journal model (ES-002, ES-012, ES-016)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tck.models.journal import EntityJournal, Journal, Snapshot

batches = st.lists(st.lists(st.text(max_size=2), min_size=1, max_size=4), max_size=6)


def build(batches: list[list[str]], snapshot_after: list[bool]) -> EntityJournal[str]:
    journal: EntityJournal[str] = EntityJournal()
    for i, batch in enumerate(batches):
        journal = journal.append(batch)
        if i < len(snapshot_after) and snapshot_after[i]:
            journal = journal.snapshot("".join(e.payload for e in journal.events))
    return journal


@given(batches)
def test_sequence_numbers_start_at_one_without_gaps(batches: list[list[str]]) -> None:
    journal = build(batches, [])
    assert [e.sequence for e in journal.events] == list(range(1, sum(map(len, batches)) + 1))
    assert journal.sequence == len(journal.events)


@given(batches, st.lists(st.booleans(), max_size=6), st.data())
def test_recovery_replays_exactly_the_events_after_the_snapshot(
    batches: list[list[str]], snaps: list[bool], data: st.DataObject
) -> None:
    journal = build(batches, snaps)
    snapshot = data.draw(st.sampled_from([None, *journal.snapshots]))
    recovery = journal.recovery(snapshot)
    after = snapshot.sequence if snapshot else 0
    assert [e.sequence for e in recovery.events] == list(range(after + 1, journal.sequence + 1))


@given(batches, st.lists(st.booleans(), max_size=6))
def test_latest_recovery_uses_the_latest_snapshot(batches: list[list[str]], snaps: list[bool]) -> None:
    journal = build(batches, snaps)
    assert journal.latest_recovery().snapshot == (journal.snapshots[-1] if journal.snapshots else None)


def test_a_snapshot_needs_an_event_before_it() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        EntityJournal[str]().snapshot("x")


def test_recovery_refuses_a_foreign_snapshot() -> None:
    journal = EntityJournal[str]().append(["a"])
    with pytest.raises(ValueError, match="not a snapshot"):
        journal.recovery(Snapshot(1, "a"))


def test_entities_have_separate_journals() -> None:
    journal = Journal[str]().updated("a", EntityJournal[str]().append(["x", "y"]))
    assert journal["a"].sequence == 2
    assert journal["b"].sequence == 0
