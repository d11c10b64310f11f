"""The effect-ordering model (FX-005..FX-008)."""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from tck import strategies
from tck.models.effects import Call, Release, SideEffect, plan, trace_problems

effects = st.lists(st.builds(SideEffect, st.builds(Call, st.just("S"), st.just("M"), strategies.ids), st.booleans()))


@given(effects, st.randoms())
def test_synchronous_in_order_then_release_then_asynchronous_in_any_order_conforms(
    effects: list[SideEffect], random: Random
) -> None:
    expected = plan(effects)
    after = list(expected.after_release)
    random.shuffle(after)
    assert trace_problems([*expected.before_release, Release(), *after], expected) == []


@given(effects)
def test_plan_partitions_effects_keeping_their_order(effects: list[SideEffect]) -> None:
    expected = plan(effects)
    assert list(expected.before_release) == [e.call for e in effects if e.synchronous]
    assert list(expected.after_release) == [e.call for e in effects if not e.synchronous]


def test_an_asynchronous_effect_before_the_release_is_a_problem() -> None:
    sync, late = Call("S", "M", "1"), Call("S", "M", "2")
    expected = plan([SideEffect(sync, True), SideEffect(late, False)])
    assert trace_problems([sync, Release(), late], expected) == []
    assert trace_problems([late, sync, Release()], expected)
    assert trace_problems([Release(), sync, late], expected)
    assert trace_problems([sync, late], expected) == ["the outcome was released 0 times, expected once"]


def test_synchronous_effects_out_of_order_are_a_problem() -> None:
    one, two = Call("S", "M", "1"), Call("S", "M", "2")
    expected = plan([SideEffect(one, True), SideEffect(two, True)])
    assert trace_problems([two, one, Release()], expected)
