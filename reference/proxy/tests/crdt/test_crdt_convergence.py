"""Replicas that have seen the same writes hold the same state, whatever the order (CRDT-075, CRDT-079).

Besides the random worlds, the examples pin down the outcomes that make each
type what it is: add-wins sets and maps (CRDT-ORSET-005, CRDT-ORMAP-010),
concurrent creations of one ORMap key (CRDT-ORMAP-009), type conflicts
(CRDT-067) and the Vote tally over the replicas that are up (CRDT-VOTE-007).
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudstate import crdt_pb2 as c
from cloudstate_proxy.crdt import TYPE_NUMBERS, Crdt, apply_delta, merge, value_of
from cloudstate_proxy.crdt.values import GCounterValue, ORMapValue, ORSetValue, VoteValue
from crdt_strategies import KINDS, REPLICAS, Op, Sync, key, ops, run, unhurried
from google.protobuf import any_pb2
from hypothesis import given
from hypothesis import strategies as st

X = any_pb2.Any(type_url="p.cloudstate.io/string", value=b"\n\x01x")


@unhurried
@given(ops(KINDS, deletes=True, max_size=40), st.permutations([(s, t) for s in REPLICAS for t in REPLICAS if s != t]))
def test_replicas_converge_after_exchanging_states(operations: list[Op], gossip: list[tuple[str, str]]) -> None:
    world = run(operations)
    for _ in range(2):  # two rounds of all pairs reach every replica from every other
        for source, target in gossip:
            world.run(Sync(source, target))
    finals = list(world.states.values())
    assert all(s == finals[0] for s in finals)


def two_replicas(*deltas: tuple[str, c.CrdtDelta]) -> dict[str, Crdt]:
    """Apply each (replica, delta) in turn, starting from nothing."""
    states: dict[str, Crdt | None] = {"a": None, "b": None}
    for replica, delta in deltas:
        states[replica] = apply_delta(states[replica], replica, delta, now_ms=1)
    return {r: s for r, s in states.items() if s is not None}


def orset(added: Sequence[any_pb2.Any] = (), removed: Sequence[any_pb2.Any] = (), cleared: bool = False) -> c.CrdtDelta:
    return c.CrdtDelta(orset=c.ORSetDelta(cleared=cleared, removed=removed, added=added))


def test_an_add_concurrent_with_a_remove_survives() -> None:
    s = two_replicas(("a", orset([X])))  # b has merged this state too
    a = apply_delta(s["a"], "a", orset(removed=[X]), now_ms=1)  # a removes the add it saw ...
    b = apply_delta(s["a"], "b", orset([X], cleared=True), now_ms=1)  # ... while b clears and adds x again
    assert value_of(merge(a, b), "a") == value_of(merge(b, a), "b") == ORSetValue(frozenset({(X.type_url, X.value)}))
    assert value_of(merge(a, s["a"]), "a") == ORSetValue()  # the remove wins over the add it has seen


def gcounter(n: int) -> c.CrdtDelta:
    return c.CrdtDelta(gcounter=c.GCounterDelta(increment=n))


def ormap(
    removed: Sequence[any_pb2.Any] = (),
    updated: Sequence[c.ORMapEntryDelta] = (),
    added: Sequence[c.ORMapEntryDelta] = (),
) -> c.CrdtDelta:
    return c.CrdtDelta(ormap=c.ORMapDelta(removed=removed, updated=updated, added=added))


def test_an_ormap_update_concurrent_with_a_remove_keeps_the_entry() -> None:
    k = key("gcounter")
    s = two_replicas(("a", ormap(added=[c.ORMapEntryDelta(key=k, delta=gcounter(2))])))
    a = apply_delta(s["a"], "a", ormap(removed=[k]), now_ms=1)
    b = apply_delta(s["a"], "b", ormap(updated=[c.ORMapEntryDelta(key=k, delta=gcounter(3))]), now_ms=1)
    assert value_of(merge(a, b), "a") == ORMapValue({(k.type_url, k.value): GCounterValue(5)})


def test_concurrent_creations_of_a_key_both_count_and_the_lower_type_wins() -> None:
    k = key("any")
    s = two_replicas(
        ("a", ormap(added=[c.ORMapEntryDelta(key=k, delta=gcounter(2))])),
        ("b", ormap(added=[c.ORMapEntryDelta(key=k, delta=gcounter(3))])),
    )
    assert value_of(merge(s["a"], s["b"]), "a") == ORMapValue({(k.type_url, k.value): GCounterValue(5)})
    flag = c.CrdtDelta(flag=c.FlagDelta(value=True))
    t = two_replicas(("a", ormap(added=[c.ORMapEntryDelta(key=k, delta=flag)])), ("b", ormap(added=[])))
    b = apply_delta(t["b"], "b", ormap(added=[c.ORMapEntryDelta(key=k, delta=gcounter(1))]), now_ms=1)
    assert value_of(merge(t["a"], b), "b") == ORMapValue({(k.type_url, k.value): GCounterValue(1)})


def test_entities_created_with_different_types_keep_the_lower_type() -> None:
    s = two_replicas(("a", c.CrdtDelta(vote=c.VoteDelta(self_vote=True))), ("b", orset([X])))
    assert merge(s["a"], s["b"]).KIND == merge(s["b"], s["a"]).KIND == "orset"
    assert TYPE_NUMBERS["orset"] < TYPE_NUMBERS["vote"]


def test_a_vote_counts_only_the_replicas_that_are_up() -> None:
    vote = c.CrdtDelta(vote=c.VoteDelta(self_vote=True, votes_for=9, total_voters=9))
    s = two_replicas(("a", vote), ("b", vote))
    both = merge(s["a"], s["b"])
    assert value_of(both, "a", {"a", "b", "c"}) == VoteValue(True, 2, 3)
    assert value_of(both, "c", {"a", "b", "c"}) == VoteValue(False, 2, 3)
    assert value_of(both, "a", {"a"}) == VoteValue(True, 1, 1)  # b is down: its vote is not counted
    assert value_of(both, "a") == VoteValue(True, 1, 1)  # alone (the in-memory store), CRDT-077
    withdrawn = apply_delta(both, "b", c.CrdtDelta(vote=c.VoteDelta(self_vote=False)), now_ms=1)
    assert value_of(merge(both, withdrawn), "a", {"a", "b"}) == VoteValue(True, 1, 2)
