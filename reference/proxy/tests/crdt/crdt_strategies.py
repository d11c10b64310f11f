"""Hypothesis strategies for the CRDT tests: user-function deltas, and replicas that write and merge.

A *world* is a few replicas that apply random user-function deltas, copy
states to one another and sometimes delete the entity. Running one gives
states that a real deployment can reach, which the merge laws need: made-up
states could reuse a dot for two adds, which no replica ever does.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from cloudstate import crdt_pb2
from cloudstate_proxy.crdt import TOMBSTONE, TYPE_NUMBERS, InvalidDelta, Replicated, Tombstone, apply_delta, merge
from google.protobuf import any_pb2
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Building worlds is slow on a loaded machine, and time per example is not what these tests check.
unhurried = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

REPLICAS = ("a", "b", "c")
KINDS = tuple(TYPE_NUMBERS)
# Equal bytes under two type URLs are two elements; the empty string is one too.
ELEMENTS = [
    ("p.cloudstate.io/string", b"\n\x01x"),
    ("p.cloudstate.io/string", b"\n\x01y"),
    ("p.cloudstate.io/string", b""),
]
ELEMENTS.append(("type.googleapis.com/T", b"\n\x01x"))

anys = st.sampled_from(ELEMENTS).map(lambda e: any_pb2.Any(type_url=e[0], value=e[1]))
any_lists = st.lists(anys, max_size=3)


def key(kind: str, n: int = 0) -> any_pb2.Any:
    """An ORMap key that the strategies mostly use for values of ``kind``."""
    return any_pb2.Any(type_url=f"k.test/{kind}", value=bytes([n]))


@functools.cache
def deltas(kind: str, depth: int = 2) -> st.SearchStrategy[crdt_pb2.CrdtDelta]:
    """Deltas of one type a user function may send; ORMaps nest at most ``depth`` levels."""
    c = crdt_pb2
    match kind:
        case "gcounter":
            return st.builds(lambda n: c.CrdtDelta(gcounter=c.GCounterDelta(increment=n)), st.integers(0, 5))
        case "pncounter":
            return st.builds(lambda n: c.CrdtDelta(pncounter=c.PNCounterDelta(change=n)), st.integers(-5, 5))
        case "gset":
            return st.builds(lambda a: c.CrdtDelta(gset=c.GSetDelta(added=a)), any_lists)
        case "orset":
            orset = st.builds(c.ORSetDelta, cleared=st.booleans(), removed=any_lists, added=any_lists)
            return st.builds(lambda d: c.CrdtDelta(orset=d), orset)
        case "lwwregister":
            clocks = st.sampled_from([c.DEFAULT, c.REVERSE, c.CUSTOM, c.CUSTOM_AUTO_INCREMENT])
            lww = st.builds(c.LWWRegisterDelta, value=anys, clock=clocks, custom_clock_value=st.integers(-3, 3))
            return st.builds(lambda d: c.CrdtDelta(lwwregister=d), lww)
        case "flag":
            return st.builds(lambda v: c.CrdtDelta(flag=c.FlagDelta(value=v)), st.booleans())
        case "vote":
            vote = st.builds(c.VoteDelta, self_vote=st.booleans(), votes_for=st.integers(0, 3))
            return st.builds(lambda d: c.CrdtDelta(vote=d), vote)
        case "ormap":
            return st.builds(lambda d: c.CrdtDelta(ormap=d), _ormap_deltas(depth))
    raise ValueError(kind)


def _ormap_deltas(depth: int) -> st.SearchStrategy[crdt_pb2.ORMapDelta]:
    nested = [k for k in KINDS if depth > 1 or k != "ormap"]
    # Mostly the key's own type; sometimes another one, to exercise type changes and violations.
    typed = st.sampled_from(nested).flatmap(
        lambda k: st.tuples(st.integers(0, 1), st.just(k), deltas(k, depth - 1) | deltas_of_any(depth - 1))
    )
    entries = st.lists(typed.map(lambda t: crdt_pb2.ORMapEntryDelta(key=key(t[1], t[0]), delta=t[2])), max_size=3)
    removed = st.lists(st.builds(key, st.sampled_from(nested), st.integers(0, 1)), max_size=2)
    return st.builds(
        crdt_pb2.ORMapDelta,
        cleared=st.integers(0, 7).map(lambda n: n == 0),
        removed=removed,
        updated=entries,
        added=entries,
    )


def deltas_of_any(depth: int = 2) -> st.SearchStrategy[crdt_pb2.CrdtDelta]:
    return st.sampled_from([k for k in KINDS if depth > 0 or k != "ormap"]).flatmap(lambda k: deltas(k, depth))


@dataclasses.dataclass(frozen=True)
class Write:
    replica: str
    delta: crdt_pb2.CrdtDelta
    now_ms: int


@dataclasses.dataclass(frozen=True)
class Sync:
    """``target`` merges the state of ``source``."""

    source: str
    target: str


@dataclasses.dataclass(frozen=True)
class Delete:
    replica: str


Op = Write | Sync | Delete
replicas = st.sampled_from(REPLICAS)


def ops(kinds: Sequence[str] = KINDS, deletes: bool = False, max_size: int = 25) -> st.SearchStrategy[list[Op]]:
    delta = st.sampled_from(list(kinds)).flatmap(deltas)
    write = st.builds(Write, replicas, delta, st.integers(0, 40))
    choices: list[st.SearchStrategy[Op]] = [write, write, st.builds(Sync, replicas, replicas)]
    if deletes:
        choices.append(st.builds(Delete, replicas))
    return st.lists(st.one_of(choices), max_size=max_size)


@dataclasses.dataclass
class World:
    states: dict[str, Replicated | None] = dataclasses.field(default_factory=lambda: dict.fromkeys(REPLICAS))
    history: list[Replicated] = dataclasses.field(default_factory=list)

    def run(self, op: Op) -> None:
        """One step; a write the replica refuses (InvalidDelta) or makes to a deleted entity changes nothing."""
        match op:
            case Write(replica, delta, now_ms):
                state = self.states[replica]
                if isinstance(state, Tombstone):
                    return
                try:
                    self.states[replica] = apply_delta(state, replica, delta, now_ms)
                except InvalidDelta:
                    return
            case Sync(source, target):
                incoming, current = self.states[source], self.states[target]
                if incoming is not None:
                    self.states[target] = incoming if current is None else merge(current, incoming)
            case Delete(replica):
                self.states[replica] = TOMBSTONE
        self.history.extend(s for s in self.states.values() if s is not None)


def run(operations: Sequence[Op]) -> World:
    world = World()
    for op in operations:
        world.run(op)
    return world
