"""The CRDT types: local changes become deltas that reproduce them exactly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cloudstate import crdt_pb2
from cloudstate_sdk import Clock, Flag, GCounter, GSet, LWWRegister, ORMap, ORSet, PNCounter, ProtocolError, Vote
from cloudstate_sdk._crdt_base import Crdt, crdt_from_delta
from cloudstate_sdk.tck_model.crdt import state_of
from hypothesis import given
from hypothesis import strategies as st

elements = st.sampled_from(["a", "b", "c", "d"])
set_ops = st.lists(st.tuples(st.sampled_from(["add", "remove", "clear"]), elements), max_size=12)
map_ops = st.lists(
    st.tuples(st.sampled_from(["inc", "add-to-set", "remove", "clear"]), st.sampled_from(["k1", "k2", "k3"]), elements),
    max_size=12,
)


def replayed(before: Crdt, delta: crdt_pb2.CrdtDelta) -> Crdt:
    """What another replica holds after receiving ``delta``: the old value plus the delta."""
    other = crdt_from_delta(before._full_delta())
    other._apply_delta(delta)
    return other


def check_round(crdt: Crdt, change: Any) -> None:
    before = copy.deepcopy(crdt)
    change(crdt)
    if crdt._has_delta():
        assert state_of(replayed(before, crdt._delta())) == state_of(crdt)
    else:
        assert state_of(before) == state_of(crdt)
    crdt._reset_delta()
    assert not crdt._has_delta()
    assert state_of(crdt_from_delta(crdt._full_delta())) == state_of(crdt)


@given(set_ops, set_ops)
def test_orset_delta_reproduces_the_change(first: list[tuple[str, str]], second: list[tuple[str, str]]) -> None:
    crdt = ORSet()

    def run(ops: list[tuple[str, str]]) -> Any:
        def change(target: Crdt) -> None:
            assert isinstance(target, ORSet)
            for op, value in ops:
                target.add(value) if op == "add" else target.remove(value) if op == "remove" else target.clear()

        return change

    check_round(crdt, run(first))
    check_round(crdt, run(second))


@given(map_ops, map_ops)
def test_ormap_delta_reproduces_the_change(
    first: list[tuple[str, str, str]], second: list[tuple[str, str, str]]
) -> None:
    crdt = ORMap()

    def run(ops: list[tuple[str, str, str]]) -> Any:
        def change(target: Crdt) -> None:
            assert isinstance(target, ORMap)
            for op, key, value in ops:
                if op == "inc":
                    counter = target.get(key)
                    if counter is None or isinstance(counter, PNCounter):
                        target.get_or_create(key, PNCounter).increment(len(value))
                elif op == "add-to-set":
                    found = target.get(f"s{key}")
                    (found if isinstance(found, ORSet) else target.get_or_create(f"s{key}", ORSet)).add(value)
                elif op == "remove":
                    target.remove(key)
                else:
                    target.clear()

        return change

    check_round(crdt, run(first))
    check_round(crdt, run(second))


@given(st.lists(st.integers(min_value=-50, max_value=50), max_size=6))
def test_counters(changes: list[int]) -> None:
    pn, g = PNCounter(), GCounter()
    check_round(pn, lambda c: [c.increment(x) for x in changes])
    check_round(g, lambda c: [c.increment(abs(x)) for x in changes])
    assert pn.value == sum(changes)
    assert g.value == sum(abs(x) for x in changes)
    with pytest.raises(ValueError, match="cannot decrease"):
        g.increment(-1)


def test_gset_flag_register_vote() -> None:
    check_round(GSet(), lambda c: (c.add("x"), c.add("x"), c.add("y")))
    flag = Flag()
    check_round(flag, lambda c: c.enable())
    assert flag.enabled
    check_round(flag, lambda c: c.enable())  # no change, no delta
    register = LWWRegister("")
    assert register._has_delta(), "a register created with a value has a change to send"
    check_round(register, lambda c: c.set("v", Clock.CUSTOM, 7))
    register.set("w", Clock.CUSTOM_AUTO_INCREMENT, 9)
    delta = register._delta().lwwregister
    assert (delta.clock, delta.custom_clock_value) == (crdt_pb2.CUSTOM_AUTO_INCREMENT, 9)
    vote = Vote()
    vote.vote(True)
    assert (vote.votes_for, vote.total_voters, vote._delta().vote.self_vote) == (1, 1, True)
    vote._apply_delta(crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=True, votes_for=2, total_voters=3)))
    assert vote.majority
    assert not vote.all
    assert vote.at_least_one


def test_set_elements_are_identified_by_encoding() -> None:
    crdt = ORSet()
    crdt.add("1")
    crdt.add(1)
    crdt.add(b"1")
    assert len(crdt) == 3
    assert "1" in crdt
    assert 2 not in crdt


def test_a_delta_of_another_type_is_refused() -> None:
    with pytest.raises(ProtocolError, match="cannot apply to a GCounter"):
        GCounter()._apply_delta(crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)))
    with pytest.raises(ProtocolError, match="empty"):
        crdt_from_delta(crdt_pb2.CrdtDelta())
    flag_on = crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True))
    with pytest.raises(ProtocolError, match="a flag delta cannot apply to a GCounter"):
        crdt_from_delta(flag_on, like=GCounter())
    assert isinstance(crdt_from_delta(flag_on, like=Flag()), Flag)
