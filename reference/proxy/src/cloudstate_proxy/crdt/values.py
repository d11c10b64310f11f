"""CRDT values: what a user function holds, and how deltas change them on its side.

The proxy keeps, per entity stream, the value the user function currently
holds (the *known value*, CRDT-004). It changes it with every delta sent in
either direction, by the rules the user function follows, so that
:func:`cloudstate_proxy.crdt.deltas.delta_between` can bring the user function
up to date with one delta. Only Vote treats the two directions differently: a
user function adjusts its own tally by one when it changes its vote
(CRDT-VOTE-003, CRDT-VOTE-004), and takes the proxy's tally as it is
(CRDT-VOTE-006).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.elements import Element, element_of
from cloudstate_proxy.crdt.errors import InvalidDelta


@dataclasses.dataclass(frozen=True)
class GCounterValue:
    KIND: ClassVar[str] = "gcounter"
    count: int = 0


@dataclasses.dataclass(frozen=True)
class PNCounterValue:
    KIND: ClassVar[str] = "pncounter"
    count: int = 0


@dataclasses.dataclass(frozen=True)
class GSetValue:
    KIND: ClassVar[str] = "gset"
    elements: frozenset[Element] = frozenset()


@dataclasses.dataclass(frozen=True)
class ORSetValue:
    KIND: ClassVar[str] = "orset"
    elements: frozenset[Element] = frozenset()


@dataclasses.dataclass(frozen=True)
class LWWRegisterValue:
    KIND: ClassVar[str] = "lwwregister"
    value: Element = ("", b"")


@dataclasses.dataclass(frozen=True)
class FlagValue:
    KIND: ClassVar[str] = "flag"
    on: bool = False


@dataclasses.dataclass(frozen=True)
class ORMapValue:
    KIND: ClassVar[str] = "ormap"
    entries: Mapping[Element, Value] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class VoteValue:
    """This replica's vote and the tally over the replicas that are up (this one included)."""

    KIND: ClassVar[str] = "vote"
    self_vote: bool = False
    votes_for: int = 0
    total_voters: int = 1


Value = GCounterValue | PNCounterValue | GSetValue | ORSetValue | LWWRegisterValue | FlagValue | ORMapValue | VoteValue


def apply_value(value: Value | None, delta: crdt_pb2.CrdtDelta, *, own: bool) -> Value:
    """The value after a delta; ``own`` is true for a delta the user function sent itself.

    None stands for no value yet: the delta then applies to the empty value of
    its type. Raises :class:`InvalidDelta` for a delta of no type or of
    another type than the value (the user function would fail its stream).
    """
    kind = delta.WhichOneof("delta")
    if kind is None or (value is not None and kind != value.KIND):
        raise InvalidDelta(f"{kind} delta for a {value.KIND if value else 'new'} value")
    match value:
        case GCounterValue() | None if kind == "gcounter":
            return GCounterValue((value.count if value else 0) + delta.gcounter.increment)
        case PNCounterValue() | None if kind == "pncounter":
            return PNCounterValue((value.count if value else 0) + delta.pncounter.change)
        case GSetValue() | None if kind == "gset":
            return GSetValue((value.elements if value else frozenset()) | {element_of(e) for e in delta.gset.added})
        case ORSetValue() | None if kind == "orset":
            d = delta.orset
            kept = frozenset() if value is None or d.cleared else value.elements
            kept -= {element_of(e) for e in d.removed}
            return ORSetValue(kept | {element_of(e) for e in d.added})
        case LWWRegisterValue() | None if kind == "lwwregister":
            return LWWRegisterValue(element_of(delta.lwwregister.value))
        case FlagValue() | None if kind == "flag":
            return FlagValue(delta.flag.value or (value is not None and value.on))
        case ORMapValue() | None if kind == "ormap":
            return _apply_map(value, delta.ormap, own)
        case VoteValue() | None if kind == "vote":
            return _apply_vote(value or VoteValue(), delta.vote, own)
    raise AssertionError(f"unhandled {kind} delta")


def _apply_map(value: ORMapValue | None, delta: crdt_pb2.ORMapDelta, own: bool) -> ORMapValue:
    """Clear, remove, update, add; an added entry replaces the key's value (CRDT-ORMAP-001)."""
    entries = {} if value is None or delta.cleared else dict(value.entries)
    for removed in delta.removed:
        entries.pop(element_of(removed), None)
    for entry in delta.updated:
        key = element_of(entry.key)
        entries[key] = apply_value(entries.get(key), entry.delta, own=own)
    for entry in delta.added:
        entries[element_of(entry.key)] = apply_value(None, entry.delta, own=own)
    return ORMapValue(entries)


def _apply_vote(value: VoteValue, delta: crdt_pb2.VoteDelta, own: bool) -> VoteValue:
    if not own:
        return VoteValue(delta.self_vote, delta.votes_for, delta.total_voters)
    if delta.self_vote == value.self_vote:
        return value
    return VoteValue(delta.self_vote, value.votes_for + (1 if delta.self_vote else -1), value.total_voters)
