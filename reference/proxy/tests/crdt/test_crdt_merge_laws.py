"""The merge of every type is commutative, associative and idempotent (CRDT-079), on reachable states.

States come from worlds of replicas writing, merging and deleting, so a test
sees nested ORMap values, concurrent creations of different types (CRDT-067)
and tombstones (CRDT-034) as well as plain states.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from cloudstate_proxy.crdt import TOMBSTONE, Replicated, merge
from cloudstate_proxy.crdt.register import LWWRegister
from crdt_strategies import KINDS, World, ops, run, unhurried
from hypothesis import assume, given, settings
from hypothesis import strategies as st


@st.composite
def reachable(draw: st.DrawFn, kinds: Sequence[str], deletes: bool) -> tuple[Replicated, Replicated, Replicated]:
    """Three states of one world (their dots come from the same replicas, as in a deployment)."""
    history = run(draw(ops(kinds, deletes))).history
    assume(history)
    pick = st.sampled_from(history)
    return draw(pick), draw(pick), draw(pick)


def check_laws(a: Replicated, b: Replicated, c: Replicated) -> None:
    assert merge(a, a) == a
    assert merge(a, b) == merge(b, a)
    assert merge(merge(a, b), c) == merge(a, merge(b, c))
    # The merge is an upper bound: merging a state again changes nothing.
    assert merge(merge(a, b), b) == merge(a, b)


@pytest.mark.parametrize("kind", KINDS)
@settings(unhurried, max_examples=40)
@given(data=st.data())
def test_merge_laws_per_type(kind: str, data: st.DataObject) -> None:
    check_laws(*data.draw(reachable([kind], deletes=False)))


@settings(unhurried, max_examples=100)
@given(reachable(KINDS, deletes=True))
def test_merge_laws_across_types_and_tombstones(states: tuple[Replicated, Replicated, Replicated]) -> None:
    check_laws(*states)


@unhurried
@given(reachable(KINDS, deletes=False))
def test_a_tombstone_absorbs_every_state(states: tuple[Replicated, Replicated, Replicated]) -> None:
    assert merge(states[0], TOMBSTONE) == merge(TOMBSTONE, states[1]) == TOMBSTONE


@pytest.mark.parametrize("kinds", [[k] for k in KINDS] + [list(KINDS)], ids=[*KINDS, "mixed"])
@settings(unhurried, max_examples=40)
@given(data=st.data())
def test_writes_and_merges_only_move_a_state_up(kinds: list[str], data: st.DataObject) -> None:
    """Merging an earlier state of a replica into a later one changes nothing: no add is ever undone.

    This fails when a dot is used twice, for instance by a key that was removed and created again.
    A register write is the exception: it wins locally even with a lower clock (CRDT-LWW-004).
    """
    world = World()
    for op in data.draw(ops(kinds, deletes=True, max_size=40)):
        before = dict(world.states)
        world.run(op)
        for replica, after in world.states.items():
            earlier = before[replica]
            if earlier is not None and after is not None and not isinstance(after, LWWRegister):
                assert merge(after, earlier) == after
