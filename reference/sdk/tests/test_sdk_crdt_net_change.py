"""A command's delta is exactly its net change (CRDT-023, CRDT-024), whatever local changes led there.

Replaying a delta is not enough to show this: an element listed in both
``removed`` and ``added`` of an ORSet delta replays to the right value, yet
breaks CRDT-ORSET-003. So the deltas are compared with the ones the spec
prescribes for the values before and after each command.
"""

from __future__ import annotations

import copy
from typing import Any

from cloudstate import crdt_pb2
from cloudstate_sdk import ORMap, ORSet, PNCounter, Vote, pack, unpack
from cloudstate_sdk._crdt_base import Crdt, crdt_from_delta
from cloudstate_sdk.tck_model.crdt import state_of
from hypothesis import given
from hypothesis import strategies as st

elements = st.sampled_from(["a", "b", "c", "d"])
set_ops = st.lists(st.tuples(st.sampled_from(["add", "remove", "clear"]), elements), max_size=12)
votes = st.lists(st.booleans(), max_size=6)
# (change, slot, amount): the change picks the entry's type by its key's first letter, as the TCK model does.
map_ops = st.lists(
    st.tuples(
        st.sampled_from(["inc", "set-add", "set-remove", "vote", "remove-c", "remove-s", "remove-v", "clear"]),
        st.integers(1, 2),
        st.integers(-2, 2),
    ),
    max_size=14,
)


def view(crdt: Crdt) -> Any:
    """The value as far as the user function's own deltas carry it: a vote's tally is the proxy's (CRDT-VOTE-002)."""
    if isinstance(crdt, ORMap):
        return {key: view(value) for key, value in crdt.items()}
    return crdt.self_vote if isinstance(crdt, Vote) else state_of(crdt)


def replays(before: Crdt, after: Crdt) -> None:
    """The delta, applied to the value before the command, gives the value after it."""
    other = crdt_from_delta(before._full_delta())
    other._apply_delta(after._delta())
    assert view(other) == view(after)


@given(st.sets(elements), st.lists(set_ops, min_size=1, max_size=3))
def test_orset_delta_is_the_net_change(initial: set[str], commands: list[list[tuple[str, str]]]) -> None:
    crdt = crdt_from_delta(crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[pack(e) for e in sorted(initial)])))
    assert isinstance(crdt, ORSet)
    for ops in commands:
        before, old = copy.deepcopy(crdt), set(crdt)
        for op, value in ops:
            crdt.add(value) if op == "add" else crdt.remove(value) if op == "remove" else crdt.clear()
        new, cleared = set(crdt), any(op == "clear" for op, _ in ops)
        if cleared or old != new:
            delta = crdt._delta().orset
            removed, added = [unpack(e) for e in delta.removed], [unpack(e) for e in delta.added]
            assert len(set(removed)) == len(removed)
            assert len(set(added)) == len(added)
            assert not set(removed) & set(added)
            if cleared:  # CRDT-ORSET-002
                assert (delta.cleared, set(removed), set(added)) == (True, set(), new)
            else:  # CRDT-ORSET-003
                assert (delta.cleared, set(removed), set(added)) == (False, old - new, new - old)
            replays(before, crdt)
        else:
            assert not crdt._has_delta()
        crdt._reset_delta()


@given(st.booleans(), st.integers(0, 2), st.lists(votes, min_size=1, max_size=3))
def test_vote_delta_only_when_the_vote_changed(known: bool, others: int, commands: list[list[bool]]) -> None:
    tally = crdt_pb2.VoteDelta(self_vote=known, votes_for=others + known, total_voters=3)
    crdt = crdt_from_delta(crdt_pb2.CrdtDelta(vote=tally))
    assert isinstance(crdt, Vote)
    for cast in commands:
        old, old_for = crdt.self_vote, crdt.votes_for
        for value in cast:
            crdt.vote(value)
        assert (crdt.votes_for - old_for, crdt.total_voters) == (crdt.self_vote - old, 3)  # CRDT-VOTE-003
        assert crdt._has_delta() == (crdt.self_vote != old)  # CRDT-VOTE-001
        if crdt._has_delta():
            assert crdt._delta() == crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=crdt.self_vote))
        crdt._reset_delta()


def _run_map_op(crdt: ORMap, op: str, slot: int, amount: int) -> str | None:
    """One change; the key of a before-command entry it removed, if any."""
    if op == "inc":
        crdt.get_or_create(f"c{slot}", PNCounter).increment(amount)
    elif op == "set-add":
        crdt.get_or_create(f"s{slot}", ORSet).add("abcde"[amount + 2])
    elif op == "set-remove":
        found = crdt.get(f"s{slot}")
        if found is not None:
            assert isinstance(found, ORSet)
            found.remove("abcde"[amount + 2])
    elif op == "vote":
        crdt.get_or_create(f"v{slot}", Vote).vote(amount > 0)
    elif op == "clear":
        crdt.clear()
    else:
        key = f"{op[-1]}{slot}"
        return key if crdt.remove(key) else None
    return None


@given(st.lists(map_ops, min_size=1, max_size=3))
def test_ormap_delta_is_the_net_change(commands: list[list[tuple[str, int, int]]]) -> None:
    crdt = ORMap()
    for ops in commands:
        before = copy.deepcopy(crdt)
        old = view(crdt)
        dropped = {key for key in (_run_map_op(crdt, *op) for op in ops) if key in old}
        new = view(crdt)
        cleared = any(op == "clear" for op, _, _ in ops)
        if not crdt._has_delta():
            assert not cleared
            assert not dropped
            assert old == new
            continue
        delta = crdt._delta().ormap
        added = {unpack(e.key): view(crdt_from_delta(e.delta)) for e in delta.added}
        updated = {unpack(e.key) for e in delta.updated}
        removed = [unpack(k) for k in delta.removed]
        assert len(set(removed)) == len(removed)
        assert len(added) == len(delta.added)
        if cleared:  # CRDT-ORMAP-003
            assert (delta.cleared, removed, updated, added) == (True, [], set(), new)
        else:
            assert not delta.cleared
            assert set(removed) == dropped  # CRDT-ORMAP-004
            assert added == {k: v for k, v in new.items() if k not in old or k in dropped}  # CRDT-ORMAP-005
            assert updated == {k for k in new if k in old and k not in dropped and new[k] != old[k]}  # 006
            assert removed or added or updated, "CRDT-024: no empty delta"
        replays(before, crdt)
        crdt._reset_delta()
