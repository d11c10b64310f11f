"""The values a user function holds for the CRDT TCK model, and the deltas it receives from the proxy.

In the model every element, register value and map key is a string (TCKM-065),
packed as a ``p.cloudstate.io/string`` payload. A value is one of eight frozen
dataclasses, named like the entity-id prefixes (TCKM-060). :func:`receive`
applies a delta from the proxy by the rules of spec 12 (CRDT-GCOUNTER-001,
CRDT-ORSET-001, CRDT-LWW-001, CRDT-LWW-008, CRDT-FLAG-001, CRDT-ORMAP-001,
CRDT-VOTE-006, ...); :func:`state` renders a value as the model's ``State``,
sorted by code point at every level (TCKM-079).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from cloudstate import crdt_pb2
from google.protobuf import any_pb2, wrappers_pb2

STRING_TYPE_URL = "p.cloudstate.io/string"


@dataclasses.dataclass(frozen=True)
class GCounter:
    PREFIX: ClassVar[str] = "GCounter"
    KIND: ClassVar[str] = "gcounter"
    value: int = 0


@dataclasses.dataclass(frozen=True)
class PNCounter:
    PREFIX: ClassVar[str] = "PNCounter"
    KIND: ClassVar[str] = "pncounter"
    value: int = 0


@dataclasses.dataclass(frozen=True)
class GSet:
    PREFIX: ClassVar[str] = "GSet"
    KIND: ClassVar[str] = "gset"
    elements: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class ORSet:
    PREFIX: ClassVar[str] = "ORSet"
    KIND: ClassVar[str] = "orset"
    elements: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class LWWRegister:
    PREFIX: ClassVar[str] = "LWWRegister"
    KIND: ClassVar[str] = "lwwregister"
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Flag:
    PREFIX: ClassVar[str] = "Flag"
    KIND: ClassVar[str] = "flag"
    value: bool = False


@dataclasses.dataclass(frozen=True)
class ORMap:
    PREFIX: ClassVar[str] = "ORMap"
    KIND: ClassVar[str] = "ormap"
    entries: Mapping[str, Value] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Vote:
    """A new vote counts only this node (TCKM-064)."""

    PREFIX: ClassVar[str] = "Vote"
    KIND: ClassVar[str] = "vote"
    self_vote: bool = False
    votes_for: int = 0
    total_voters: int = 1

    def cast(self, vote: bool) -> Vote:
        """This node's new vote, the tally moved by one when it changed (CRDT-VOTE-003)."""
        moved = 0 if vote == self.self_vote else 1 if vote else -1
        return Vote(vote, self.votes_for + moved, self.total_voters)


Value = GCounter | PNCounter | GSet | ORSet | LWWRegister | Flag | ORMap | Vote
TYPES: tuple[type[Value], ...] = (GCounter, PNCounter, GSet, ORSet, LWWRegister, Flag, ORMap, Vote)
BY_PREFIX = {t.PREFIX: t for t in TYPES}
BY_KIND = {t.KIND: t for t in TYPES}


class BadDelta(ValueError):
    """A delta the model cannot apply: another type than its value, or elements that are not strings.

    A user function fails its stream on such a delta (CRDT-018).
    """


def type_of(name: str) -> type[Value]:
    """The CRDT type an entity id or map key names: the part before the first "-" (TCKM-060, TCKM-066)."""
    prefix = name.split("-", 1)[0]
    if prefix not in BY_PREFIX:
        raise ValueError(f"{name!r} names no CRDT type")
    return BY_PREFIX[prefix]


def pack_string(text: str) -> any_pb2.Any:
    return any_pb2.Any(type_url=STRING_TYPE_URL, value=wrappers_pb2.StringValue(value=text).SerializeToString())


def unpack_string(payload: any_pb2.Any) -> str:
    if payload.type_url != STRING_TYPE_URL:
        raise BadDelta(f"a {payload.type_url!r} payload where the model only has strings")
    return wrappers_pb2.StringValue.FromString(payload.value).value


def receive(value: Value | None, delta: crdt_pb2.CrdtDelta, kind: type[Value], own: bool = False) -> Value:
    """The value after a delta from the proxy; None is no value yet. ``kind`` is the entity's (or entry's) type.

    With ``own`` the delta is one the user function sent: the only difference is
    that a vote then moves ``votes_for`` by one instead of replacing the tally
    (CRDT-VOTE-003, CRDT-VOTE-004).
    """
    if delta.WhichOneof("delta") != kind.KIND or (value is not None and not isinstance(value, kind)):
        raise BadDelta(f"a {delta.WhichOneof('delta')} delta for a {kind.PREFIX}")
    current = value if value is not None else kind()
    match current:
        case GCounter(n):
            return GCounter(n + delta.gcounter.increment)
        case PNCounter(n):
            return PNCounter(n + delta.pncounter.change)
        case GSet(elements):
            return GSet(elements | {unpack_string(e) for e in delta.gset.added})
        case ORSet(elements):
            d = delta.orset
            kept = frozenset() if d.cleared else elements - {unpack_string(e) for e in d.removed}
            return ORSet(kept | {unpack_string(e) for e in d.added})
        case LWWRegister():
            return LWWRegister(unpack_string(delta.lwwregister.value))
        case Flag(on):
            return Flag(on or delta.flag.value)
        case ORMap(entries):
            return ORMap(_receive_map(entries, delta.ormap, own))
        case Vote() if own:
            return current.cast(delta.vote.self_vote)
        case Vote():
            return Vote(delta.vote.self_vote, delta.vote.votes_for, delta.vote.total_voters)


def _receive_map(entries: Mapping[str, Value], delta: crdt_pb2.ORMapDelta, own: bool) -> dict[str, Value]:
    result = {} if delta.cleared else dict(entries)
    for key in delta.removed:
        result.pop(unpack_string(key), None)
    for entry in delta.updated:
        name = unpack_string(entry.key)
        result[name] = receive(result.get(name), entry.delta, type_of(name), own)
    for entry in delta.added:
        name = unpack_string(entry.key)
        result[name] = receive(None, entry.delta, type_of(name), own)
    return result
