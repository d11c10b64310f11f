"""How a replica applies a user function's delta: validation, clocks, and the order of each delta's parts."""

from __future__ import annotations

import pytest
from cloudstate import crdt_pb2 as c
from cloudstate_proxy.crdt import Crdt, InvalidDelta, apply_delta, merge, value_of
from cloudstate_proxy.crdt.register import LWWRegister
from cloudstate_proxy.crdt.values import FlagValue, GCounterValue, LWWRegisterValue, ORMapValue, ORSetValue, VoteValue
from google.protobuf import any_pb2

X, Y, Z = (any_pb2.Any(type_url="p.cloudstate.io/string", value=v) for v in (b"\n\x01x", b"\n\x01y", b"\n\x01z"))
EX, EY, EZ = ((e.type_url, e.value) for e in (X, Y, Z))
GCOUNTER = c.CrdtDelta(gcounter=c.GCounterDelta(increment=1))
K = any_pb2.Any(type_url="k", value=b"1")


def entry(delta: c.CrdtDelta, key: any_pb2.Any = K) -> c.ORMapEntryDelta:
    return c.ORMapEntryDelta(key=key, delta=delta)


@pytest.mark.parametrize(
    ("state_delta", "bad"),
    [
        (None, c.CrdtDelta()),  # CRDT-080: no type
        (GCOUNTER, c.CrdtDelta(flag=c.FlagDelta(value=True))),  # CRDT-064: another type
        (None, c.CrdtDelta(lwwregister=c.LWWRegisterDelta(clock=c.CUSTOM))),  # CRDT-LWW-009: no value
        (
            None,
            c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=X, clock=c.CrdtClock.ValueType(7))),
        ),  # a clock the protocol lacks
        (None, c.CrdtDelta(ormap=c.ORMapDelta(added=[c.ORMapEntryDelta(key=K)]))),  # CRDT-080 inside an ORMap
        (  # CRDT-064 inside an ORMap: an update must match the entry's type
            c.CrdtDelta(ormap=c.ORMapDelta(added=[entry(GCOUNTER)])),
            c.CrdtDelta(ormap=c.ORMapDelta(updated=[entry(c.CrdtDelta(flag=c.FlagDelta()))])),
        ),
    ],
)
def test_deltas_a_user_function_must_not_send_are_rejected(state_delta: c.CrdtDelta | None, bad: c.CrdtDelta) -> None:
    state = apply_delta(None, "a", state_delta, now_ms=0) if state_delta else None
    with pytest.raises(InvalidDelta):
        apply_delta(state, "a", bad, now_ms=0)


def register(state: Crdt | None, clock: int, custom: int = 0, now_ms: int = 100, replica: str = "a") -> Crdt:
    delta = c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=X, clock=clock, custom_clock_value=custom))  # type: ignore[arg-type]
    return apply_delta(state, replica, delta, now_ms)


def clock_of(state: Crdt) -> int:
    assert isinstance(state, LWWRegister)
    return state.clock


def test_register_clocks() -> None:
    first = register(None, c.DEFAULT, now_ms=100)
    assert clock_of(first) == 100
    assert clock_of(register(first, c.DEFAULT, now_ms=150)) == 150
    assert clock_of(register(first, c.DEFAULT, now_ms=90)) == 101  # never behind the current write
    assert clock_of(register(None, c.REVERSE, now_ms=100)) == -100
    assert clock_of(register(first, c.REVERSE, now_ms=50)) == -50
    assert clock_of(register(register(None, c.REVERSE, now_ms=100), c.REVERSE, now_ms=150)) == -150
    assert clock_of(register(register(None, c.REVERSE, now_ms=100), c.REVERSE, now_ms=50)) == -101
    assert clock_of(register(first, c.CUSTOM, custom=7)) == 7  # CRDT-LWW-004: even below the current clock
    assert clock_of(register(first, c.CUSTOM_AUTO_INCREMENT, custom=7)) == 101
    assert clock_of(register(first, c.CUSTOM_AUTO_INCREMENT, custom=500)) == 500
    assert clock_of(register(None, c.CUSTOM_AUTO_INCREMENT, custom=-4)) == -4


def test_the_later_register_write_wins_and_ties_go_to_the_higher_replica_id() -> None:
    older = register(None, c.CUSTOM, custom=5, replica="b")
    newer = apply_delta(
        None, "a", c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=Y, clock=c.CUSTOM, custom_clock_value=6)), 0
    )
    assert value_of(merge(older, newer), "a") == value_of(merge(newer, older), "b") == LWWRegisterValue(EY)
    tie = apply_delta(
        None, "a", c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=Y, clock=c.CUSTOM, custom_clock_value=5)), 0
    )
    assert value_of(merge(tie, older), "a") == LWWRegisterValue(EX)  # "b" sorts above "a"
    assert value_of(
        merge(register(None, c.REVERSE, now_ms=10), register(None, c.REVERSE, now_ms=20, replica="b")), "a"
    ) == LWWRegisterValue(EX)


def orset(
    cleared: bool = False, removed: tuple[any_pb2.Any, ...] = (), added: tuple[any_pb2.Any, ...] = ()
) -> c.CrdtDelta:
    return c.CrdtDelta(orset=c.ORSetDelta(cleared=cleared, removed=removed, added=added))


def test_orset_deltas_clear_then_remove_then_add() -> None:
    state = apply_delta(None, "a", orset(added=(X, Y)), 0)
    assert value_of(apply_delta(state, "a", orset(cleared=True, removed=(X,), added=(X,)), 0), "a") == ORSetValue(
        frozenset({EX})
    )
    assert value_of(apply_delta(state, "a", orset(removed=(X, Y), added=(Y,)), 0), "a") == ORSetValue(frozenset({EY}))


def ormap(**parts: object) -> c.CrdtDelta:
    return c.CrdtDelta(ormap=c.ORMapDelta(**parts))  # type: ignore[arg-type]


def test_ormap_deltas_clear_remove_update_add() -> None:
    state = apply_delta(None, "a", ormap(added=[entry(GCOUNTER)]), 0)
    # An update to a key that is absent creates it (CRDT-ORMAP-008) ...
    updated = apply_delta(state, "a", ormap(cleared=True, updated=[entry(GCOUNTER)]), 0)
    assert value_of(updated, "a") == ORMapValue({("k", b"1"): GCounterValue(1)})
    # ... an added entry of the same type adds to the value (CRDT-ORMAP-009), one of another type replaces it.
    added = apply_delta(state, "a", ormap(updated=[entry(GCOUNTER)], added=[entry(GCOUNTER)]), 0)
    assert value_of(added, "a") == ORMapValue({("k", b"1"): GCounterValue(3)})
    replaced = apply_delta(state, "a", ormap(added=[entry(c.CrdtDelta(flag=c.FlagDelta()))]), 0)
    assert value_of(replaced, "a") == ORMapValue({("k", b"1"): FlagValue()})
    # Removing and adding again starts from the new value.
    recreated = apply_delta(state, "a", ormap(removed=[K], added=[entry(GCOUNTER)]), 0)
    assert value_of(recreated, "a") == ORMapValue({("k", b"1"): GCounterValue(1)})


def test_a_recreated_nested_set_never_reuses_a_tag() -> None:
    """A key removed and created again gets dots no replica has seen, so a concurrent update cannot cancel them."""
    a = apply_delta(None, "a", ormap(updated=[entry(orset(added=(X,)))]), 0)
    b = apply_delta(a, "b", ormap(updated=[entry(orset(added=(Z,)))]), 0)  # b changes the entry concurrently ...
    a = apply_delta(a, "a", ormap(removed=[K], added=[entry(orset(added=(Y,)))]), 0)  # ... while a recreates it
    merged = value_of(merge(a, b), "a")
    assert merged == value_of(merge(b, a), "b") == ORMapValue({("k", b"1"): ORSetValue(frozenset({EY, EZ}))})


def test_register_writes_tied_on_clock_and_replica_still_merge_the_same_in_both_orders() -> None:
    first = register(None, c.CUSTOM, custom=5)
    second = apply_delta(
        first, "a", c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=Y, clock=c.CUSTOM, custom_clock_value=5)), 0
    )
    assert merge(first, second) == merge(second, first)


def test_flags_and_votes_take_only_what_the_user_function_may_change() -> None:
    off = apply_delta(None, "a", c.CrdtDelta(flag=c.FlagDelta(value=False)), 0)
    assert value_of(off, "a") == FlagValue(False)  # a new flag, CRDT-FLAG-004
    on = apply_delta(off, "a", c.CrdtDelta(flag=c.FlagDelta(value=True)), 0)
    assert value_of(apply_delta(on, "a", c.CrdtDelta(flag=c.FlagDelta(value=False)), 0), "a") == FlagValue(True)
    vote = apply_delta(None, "a", c.CrdtDelta(vote=c.VoteDelta(self_vote=True, votes_for=5, total_voters=7)), 0)
    assert value_of(vote, "a", {"a", "b"}) == VoteValue(True, 1, 2)  # CRDT-VOTE-002
