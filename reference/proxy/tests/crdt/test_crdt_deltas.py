"""The deltas the proxy sends bring the user function's value to the replica's (CRDT-006, CRDT-013, CRDT-065).

The user function's side is played by :func:`apply_value`, the rules a user
function follows, which the proxy also uses to track the known value.
"""

from __future__ import annotations

from cloudstate import crdt_pb2 as c
from cloudstate_proxy.crdt import (
    REINITIALISE,
    Crdt,
    InvalidDelta,
    Tombstone,
    Value,
    apply_delta,
    apply_value,
    delta_between,
    delta_since,
    initial_delta,
    value_of,
)
from cloudstate_proxy.crdt.values import FlagValue, GCounterValue, GSetValue, ORMapValue, ORSetValue, VoteValue
from crdt_strategies import KINDS, REPLICAS, Op, Sync, Write, deltas_of_any, ops, replicas, run, unhurried
from hypothesis import given
from hypothesis import strategies as st

LIVE = frozenset(REPLICAS)


def values_of(operations: list[Op]) -> list[Value]:
    return [value_of(s, "a", LIVE) for s in run(operations).history if not isinstance(s, Tombstone)]


def expressible(known: Value, current: Value) -> bool:
    """Whether a delta of the type can turn ``known`` into ``current`` (what CRDT-065 is about)."""
    match known, current:
        case GCounterValue(old), GCounterValue(new):
            return new >= old
        case GSetValue(old), GSetValue(new):
            return old <= new
        case FlagValue(old), FlagValue(new):
            return new or not old
    return known.KIND == current.KIND


@unhurried
@given(ops(KINDS))
def test_the_initial_delta_rebuilds_the_value(operations: list[Op]) -> None:
    for value in values_of(operations):
        delta = initial_delta(value)
        assert delta.WhichOneof("delta") == value.KIND
        assert apply_value(None, delta, own=False) == value


@unhurried
@given(ops(KINDS, max_size=30), st.data())
def test_a_delta_turns_the_known_value_into_the_current_one(operations: list[Op], data: st.DataObject) -> None:
    values = values_of(operations)
    if not values:
        return
    known, current = data.draw(st.sampled_from(values)), data.draw(st.sampled_from(values))
    change = delta_between(known, current)
    if change is None:
        assert known == current
    elif change is REINITIALISE:
        assert not expressible(known, current)
    else:
        assert apply_value(known, change, own=False) == current


@unhurried
@given(ops(KINDS, max_size=30), st.data())
def test_orset_deltas_never_remove_and_add_one_element(operations: list[Op], data: st.DataObject) -> None:
    values = [v for v in values_of(operations) if isinstance(v, ORSetValue)]
    if values:
        change = delta_between(data.draw(st.sampled_from(values)), data.draw(st.sampled_from(values)))
        if isinstance(change, c.CrdtDelta):
            assert not {(e.type_url, e.value) for e in change.orset.removed} & {
                (e.type_url, e.value) for e in change.orset.added
            }  # CRDT-ORSET-007


# A stream between replica "a" and its user function: the user function writes, other
# replicas write and "a" merges their states, and at every turn the proxy sends what changed.
turns = st.lists(
    st.one_of(
        st.builds(Write, st.just("a"), deltas_of_any(), st.integers(0, 40)),  # the user function's own writes
        st.builds(Write, st.sampled_from(["b", "c"]), deltas_of_any(), st.integers(0, 40)),
        st.builds(Sync, replicas, replicas),
        st.just(None),  # a turn
    ),
    max_size=30,
)


@unhurried
@given(turns)
def test_the_known_value_follows_the_user_function(steps: list[Write | Sync | None]) -> None:
    world = run([])
    known: Value | None = None
    for step in steps:
        state = world.states["a"]
        assert not isinstance(state, Tombstone)
        if isinstance(step, Write) and step.replica == "a":
            if known is not None and step.delta.WhichOneof("delta") != known.KIND:
                continue  # a user function only sends deltas of the type of the value it holds (CRDT-018)
            try:
                world.states["a"] = apply_delta(state, "a", step.delta, step.now_ms)
            except InvalidDelta:
                # A type conflict resolved on the replica (CRDT-067) makes the write a violation; the stream restarts.
                known = value_of(state, "a", LIVE) if state else None
                continue
            known = apply_value(known, step.delta, own=True)
        elif step is not None:
            world.run(step)
        else:
            change = delta_since(known, state, "a", LIVE)
            current = value_of(state, "a", LIVE) if state else None
            if change is REINITIALISE:
                assert known is not None
                assert current is not None
                assert known.KIND != current.KIND
                known = current  # a new stream starts with the current value in CrdtInit
            elif change is not None:
                known = apply_value(known, change, own=False)
            assert known == current


def test_changes_a_delta_cannot_express_restart_the_stream() -> None:
    x, y = ("t", b"x"), ("t", b"y")
    assert delta_between(GCounterValue(3), GCounterValue(2)) is REINITIALISE
    assert delta_between(GSetValue(frozenset({x, y})), GSetValue(frozenset({y}))) is REINITIALISE
    assert delta_between(FlagValue(True), FlagValue(False)) is REINITIALISE
    assert delta_between(GCounterValue(3), VoteValue()) is REINITIALISE
    assert delta_between(GCounterValue(3), None) is REINITIALISE


def test_inside_an_ormap_such_changes_replace_the_entry() -> None:
    k = ("t", b"k")
    change = delta_between(ORMapValue({k: GCounterValue(3)}), ORMapValue({k: GCounterValue(2)}))
    assert isinstance(change, c.CrdtDelta)
    assert [e.value for e in change.ormap.removed] == [b"k"]
    assert [(e.key.value, e.delta.gcounter.increment) for e in change.ormap.added] == [(b"k", 2)]
    retyped = delta_between(ORMapValue({k: GCounterValue(3)}), ORMapValue({k: FlagValue()}))
    assert isinstance(retyped, c.CrdtDelta)  # CRDT-ORMAP-012
    assert [e.value for e in retyped.ormap.removed] == [b"k"]
    assert [e.delta.WhichOneof("delta") for e in retyped.ormap.added] == ["flag"]


def test_emptied_collections_are_sent_as_cleared() -> None:
    x = ("t", b"x")
    assert delta_between(ORSetValue(frozenset({x})), ORSetValue()) == c.CrdtDelta(orset=c.ORSetDelta(cleared=True))
    emptied = delta_between(ORMapValue({x: FlagValue()}), ORMapValue())
    assert emptied == c.CrdtDelta(ormap=c.ORMapDelta(cleared=True))


def test_vote_deltas_carry_all_three_fields() -> None:
    change = delta_between(VoteValue(True, 1, 1), VoteValue(True, 1, 2))
    assert change == c.CrdtDelta(vote=c.VoteDelta(self_vote=True, votes_for=1, total_voters=2))  # CRDT-VOTE-005


def test_an_entity_without_state_gets_no_delta_and_a_first_state_comes_whole() -> None:
    assert delta_since(None, None, "a") is None
    state: Crdt = apply_delta(None, "b", c.CrdtDelta(flag=c.FlagDelta(value=False)), now_ms=0)
    assert delta_since(None, state, "a") == c.CrdtDelta(flag=c.FlagDelta(value=False))
    assert initial_delta(FlagValue()).WhichOneof("delta") == "flag"  # CRDT-013: set even for the empty value
