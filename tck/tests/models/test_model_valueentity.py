"""Properties of the value-entity TCK model (VE-016, VE-017, VE-019, VE-020, TCKM-039..046)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tck import strategies
from tck.models import valueentity as ve
from tck.models.effects import Call, Failed, Forwarded, Replied

stored_values = st.none() | strategies.values


def until_fail(actions: list[ve.Action]) -> list[ve.Action]:
    for i, action in enumerate(actions):
        if isinstance(action, ve.Fail):
            return actions[:i]
    return actions


@given(stored_values, strategies.ve_actions)
def test_the_last_update_or_delete_wins(stored: str | None, actions: list[ve.Action]) -> None:
    outcome = ve.process(stored, actions)
    if isinstance(outcome.client, Failed):
        return
    changes = [a for a in actions if isinstance(a, ve.Update | ve.Delete)]
    assert outcome.state_action == (changes[-1] if changes else None)


@given(stored_values, strategies.ve_actions)
def test_the_reply_carries_the_resulting_state(stored: str | None, actions: list[ve.Action]) -> None:
    outcome = ve.process(stored, actions)
    forwards = [a for a in until_fail(actions) if isinstance(a, ve.Forward)]
    if isinstance(outcome.client, Failed):
        assert (outcome.state_action, outcome.effects, outcome.stored) == (None, (), stored)
    elif forwards:
        assert outcome.client == Forwarded(Call(ve.TWO, "Call", forwards[-1].id))
    else:
        assert outcome.client == Replied(ve.state_of(outcome.stored))


@given(stored_values, st.lists(strategies.ve_actions, max_size=6))
def test_stored_value_is_the_fold_of_successful_state_actions(
    stored: str | None, scripts: list[list[ve.Action]]
) -> None:
    current = stored
    for actions in scripts:
        outcome = ve.process(current, actions)
        assert outcome.stored == ve.apply(current, outcome.state_action)
        current = outcome.stored


def test_update_to_the_empty_string_is_an_update_not_a_delete() -> None:
    outcome = ve.process("A", [ve.Update("")])
    assert (outcome.state_action, outcome.stored, outcome.client) == (ve.Update(""), "", Replied(""))


def test_examples_of_the_spec() -> None:
    assert ve.process(None, [ve.Update("A"), ve.Update("B"), ve.Update("C")]).state_action == ve.Update("C")
    assert ve.process(None, [ve.Update("A"), ve.Delete(), ve.Update("B")]).state_action == ve.Update("B")
    deleted = ve.process("X", [ve.Update("A"), ve.Update("B"), ve.Delete()])
    assert (deleted.state_action, deleted.stored, deleted.client) == (ve.Delete(), None, Replied(""))
