"""Combination laws of the action TCK model (TCKM-048..058)."""

from __future__ import annotations

from hypothesis import given

from tck import strategies
from tck.models import action
from tck.models.effects import Failed, NoReply, Replied


@given(strategies.action_request)
def test_unary_folds_all_groups_as_one(request: action.Request) -> None:
    assert action.unary(request) == action.fold(step for group in request for step in group)


@given(strategies.action_requests)
def test_streamed_in_is_unary_of_all_requests_concatenated(requests: list[action.Request]) -> None:
    assert action.streamed_in(requests) == action.unary(tuple(g for r in requests for g in r))


@given(strategies.action_requests)
def test_duplex_is_streamed_out_per_request(requests: list[action.Request]) -> None:
    assert action.streamed(requests) == tuple(action.streamed_out(r) for r in requests)
    assert [len(rs) for rs in action.streamed(requests)] == [len(r) for r in requests]


@given(strategies.action_group, strategies.action_group)
def test_folding_is_associative_and_the_later_outcome_wins(first: action.Group, second: action.Group) -> None:
    whole, a, b = action.fold(first + second), action.fold(first), action.fold(second)
    assert whole.effects == a.effects + b.effects
    assert whole.client == (a.client if isinstance(b.client, NoReply) else b.client)


@given(strategies.action_group)
def test_a_failure_keeps_its_side_effects(group: action.Group) -> None:
    # The lead's addendum: action failures may carry side effects, and the model sends them.
    response = action.fold((*group, action.Fail("no")))
    assert response.client == Failed("no")
    assert len(response.effects) == sum(isinstance(s, action.Effect) for s in group)


def test_no_requests_and_empty_groups_give_no_reply() -> None:
    assert action.streamed_in([]) == action.Response(NoReply(), ())
    assert action.streamed_out(((),)) == (action.Response(NoReply(), ()),)


def test_processing_goes_on_after_a_failure() -> None:
    assert action.unary(((action.Fail("x"), action.Reply("y")),)).client == Replied("y")
