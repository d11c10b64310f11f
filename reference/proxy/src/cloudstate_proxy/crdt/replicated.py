"""The replicated state of a CRDT entity, whatever its type: merging, and applying user-function deltas.

A replica's state is one of the eight types, or a :class:`Tombstone` once the
entity is deleted. States are immutable; every function returns a new one.
The type names are those of the `CrdtDelta.delta` oneof, so a delta's type is
``delta.WhichOneof("delta")`` and a state's is its ``KIND``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, overload

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt import booleans, counters, ormap, register, sets
from cloudstate_proxy.crdt.booleans import Flag, Vote
from cloudstate_proxy.crdt.causal import Write
from cloudstate_proxy.crdt.counters import GCounter, PNCounter
from cloudstate_proxy.crdt.errors import InvalidDelta
from cloudstate_proxy.crdt.ormap import ORMap
from cloudstate_proxy.crdt.register import LWWRegister
from cloudstate_proxy.crdt.sets import GSet, ORSet

Crdt = GCounter | PNCounter | GSet | ORSet | LWWRegister | Flag | ORMap | Vote


@dataclasses.dataclass(frozen=True)
class Tombstone:
    """A deleted entity: wins every merge and is kept for ever (CRDT-034, CRDT-035)."""

    KIND: ClassVar[str] = "tombstone"


TOMBSTONE = Tombstone()
Replicated = Crdt | Tombstone

# Field numbers of the CrdtDelta oneof: on a type conflict the lower one wins (CRDT-067).
TYPE_NUMBERS = {
    "gcounter": 1,
    "pncounter": 2,
    "gset": 3,
    "orset": 4,
    "lwwregister": 5,
    "flag": 6,
    "ormap": 7,
    "vote": 8,
}


@overload
def merge(a: Crdt, b: Crdt) -> Crdt: ...
@overload
def merge(a: Replicated, b: Replicated) -> Replicated: ...
def merge(a: Replicated, b: Replicated) -> Replicated:
    """Commutative, associative and idempotent (CRDT-079); a tombstone absorbs everything."""
    if isinstance(a, Tombstone) or isinstance(b, Tombstone):
        return TOMBSTONE
    return merge_crdt(a, b)


def merge_crdt(a: Crdt, b: Crdt) -> Crdt:
    """Merge two live states; of two different types the one with the lower field number wins (CRDT-067)."""
    if a.KIND != b.KIND:
        return a if TYPE_NUMBERS[a.KIND] < TYPE_NUMBERS[b.KIND] else b
    if isinstance(a, GCounter) and isinstance(b, GCounter):
        return counters.merge_gcounter(a, b)
    if isinstance(a, PNCounter) and isinstance(b, PNCounter):
        return counters.merge_pncounter(a, b)
    if isinstance(a, GSet) and isinstance(b, GSet):
        return sets.merge_gset(a, b)
    if isinstance(a, ORSet) and isinstance(b, ORSet):
        return sets.merge_orset(a, b)
    if isinstance(a, LWWRegister) and isinstance(b, LWWRegister):
        return register.merge_register(a, b)
    if isinstance(a, Flag) and isinstance(b, Flag):
        return booleans.merge_flag(a, b)
    if isinstance(a, ORMap) and isinstance(b, ORMap):
        return ormap.merge_ormap(a, b, merge_crdt)
    if isinstance(a, Vote) and isinstance(b, Vote):
        return booleans.merge_vote(a, b)
    raise TypeError(f"not a CRDT state: {a!r}")


def apply_delta(state: Crdt | None, replica: str, delta: crdt_pb2.CrdtDelta, now_ms: int) -> Crdt:
    """The state after ``replica`` applies a delta from its user function (CRDT-026).

    ``state`` is None for an entity with no state yet: the delta's type then
    creates it. ``now_ms`` is the wall clock for DEFAULT and REVERSE register
    clocks. Raises :class:`InvalidDelta` for a delta of no type or of another
    type than the state (CRDT-064, CRDT-080), and for the other violations the
    types define; the state is then unchanged.
    """
    root = state if isinstance(state, ORSet | ORMap) else None
    write = Write(replica, now_ms, root.context.get(replica, 0) if root else 0)
    changed = apply_nested(state, delta, write)
    if isinstance(changed, ORMap):
        # Nested ORSets and ORMaps took their dots from the root's sequence: record them there.
        context = {**changed.context, replica: max(changed.context.get(replica, 0), write.last_dot)}
        return ORMap(changed.entries, context)
    return changed


def apply_nested(state: Crdt | None, delta: crdt_pb2.CrdtDelta, write: Write) -> Crdt:
    """Apply one delta to a state or to a nested ORMap value (dots come from ``write``)."""
    kind = delta.WhichOneof("delta")
    if kind is None:
        raise InvalidDelta("CrdtDelta with no type set")
    if state is not None and kind != state.KIND:
        raise InvalidDelta(f"{kind} delta for a {state.KIND} value")
    match state:
        case GCounter() | None if kind == "gcounter":
            return counters.apply_gcounter(state, delta.gcounter, write)
        case PNCounter() | None if kind == "pncounter":
            return counters.apply_pncounter(state, delta.pncounter, write)
        case GSet() | None if kind == "gset":
            return sets.apply_gset(state, delta.gset, write)
        case ORSet() | None if kind == "orset":
            return sets.apply_orset(state, delta.orset, write)
        case LWWRegister() | None if kind == "lwwregister":
            return register.apply_register(state, delta.lwwregister, write)
        case Flag() | None if kind == "flag":
            return booleans.apply_flag(state, delta.flag, write)
        case ORMap() | None if kind == "ormap":
            return ormap.apply_ormap(state, delta.ormap, write, merge_crdt, apply_nested)
        case Vote() | None if kind == "vote":
            return booleans.apply_vote(state, delta.vote, write)
    raise AssertionError(f"unhandled {kind} delta")
