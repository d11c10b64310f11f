"""Properties of the event-sourced TCK model (ES-032, ES-038, TCKM-028..034)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tck import strategies
from tck.models import eventsourced as es
from tck.models.effects import Call, Failed, Forwarded, Replied, SideEffect
from tck.models.journal import EntityJournal

scripts = st.lists(strategies.es_actions, max_size=8)


def run(scripts: list[list[es.Action]]) -> tuple[es.Entity, EntityJournal[str], list[es.Outcome]]:
    entity, journal, outcomes = es.Entity(), EntityJournal[str](), []
    for actions in scripts:
        outcome = es.process(entity, actions)
        journal = es.journal_outcome(journal, outcome)
        entity = outcome.entity
        outcomes.append(outcome)
    return entity, journal, outcomes


@given(st.integers(1, 40), st.integers(0, 12))
def test_snapshot_due_matches_a_multiple_of_five_in_the_range(first: int, count: int) -> None:
    last = first + count - 1
    assert es.snapshot_due(first, last) == any(n % 5 == 0 for n in range(first, last + 1))


@given(scripts, st.data())
def test_replay_from_any_snapshot_gives_the_state_of_the_full_history(
    scripts: list[list[es.Action]], data: st.DataObject
) -> None:
    entity, journal, _ = run(scripts)
    snapshot = data.draw(st.sampled_from([None, *journal.snapshots]))
    assert es.Entity.recover(journal.recovery(snapshot)) == entity
    assert entity == es.Entity("".join(e.payload for e in journal.events), journal.sequence)


@given(scripts)
def test_snapshots_hold_the_state_after_their_last_event(scripts: list[list[es.Action]]) -> None:
    _, journal, _ = run(scripts)
    for snapshot in journal.snapshots:
        assert snapshot.sequence > 0
        assert snapshot.state == "".join(e.payload for e in journal.events[: snapshot.sequence])


@given(scripts)
def test_a_snapshot_comes_exactly_with_replies_that_cross_a_multiple_of_five(scripts: list[list[es.Action]]) -> None:
    entity = es.Entity()
    for actions in scripts:
        outcome = es.process(entity, actions)
        crossed = any(n % 5 == 0 for n in range(entity.sequence + 1, outcome.entity.sequence + 1))
        assert (outcome.snapshot is not None) == crossed
        if outcome.snapshot is not None:
            assert outcome.events
            assert outcome.snapshot == outcome.entity.state
        entity = outcome.entity


@given(strategies.es_actions, strategies.texts, strategies.es_actions)
def test_a_failure_carries_nothing_and_ignores_later_actions(
    before: list[es.Action], message: str, after: list[es.Action]
) -> None:
    entity = es.Entity("xy", 2)
    outcome = es.process(entity, [*before, es.Fail(message), *after])
    first_fail = next((a for a in before if isinstance(a, es.Fail)), es.Fail(message))
    assert outcome.client == Failed(first_fail.message, frozenset({False, True}))
    assert (outcome.events, outcome.snapshot, outcome.effects, outcome.entity) == ((), None, (), entity)


@given(strategies.es_actions)
def test_the_last_forward_wins_and_effects_keep_their_order(actions: list[es.Action]) -> None:
    outcome = es.process(es.Entity(), actions)
    if any(isinstance(a, es.Fail) for a in actions):
        return
    forwards = [a for a in actions if isinstance(a, es.Forward)]
    if forwards:
        assert outcome.client == Forwarded(Call(es.TWO, "Call", forwards[-1].id))
    else:
        assert outcome.client == Replied(outcome.entity.state)
    assert outcome.effects == tuple(
        SideEffect(Call(es.TWO, "Call", a.id), a.synchronous) for a in actions if isinstance(a, es.Effect)
    )


@pytest.mark.parametrize(
    ("state", "emits", "snapshot"),
    [
        ("", "ABC", None),
        ("ABC", "DE", "ABCDE"),
        ("", "ABCDE", "ABCDE"),
        ("ABC", "DEFGHIJK", "ABCDEFGHIJK"),
        ("ABCDE", "F", None),
        ("ABCDEFG", "", None),
    ],
)
def test_the_snapshot_table_of_the_spec(state: str, emits: str, snapshot: str | None) -> None:
    outcome = es.process(es.Entity(state, len(state)), [es.Emit(c) for c in emits])
    assert outcome.snapshot == snapshot


def test_replay_sets_the_state_from_the_snapshot_then_appends() -> None:
    journal = EntityJournal[str]().append("ABCDE").snapshot("ABCDE").append("FG")
    assert es.Entity.recover(journal.latest_recovery()) == es.Entity("ABCDEFG", 7)
