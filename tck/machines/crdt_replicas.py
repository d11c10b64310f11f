"""The other replicas as the TCK's proxy plays them: the deltas it sends a user function, and the value in `CrdtInit`.

A proxy only ever sends a delta that turns the value the user function holds
into the replica's current value (CRDT-006): never an empty change, never an
element in both ``removed`` and ``added`` (CRDT-ORSET-007), always the whole
tally of a vote (CRDT-VOTE-005) and this replica's own ``self_vote``, which
only the user function changes. :func:`remote_delta` draws such changes for
any value; :func:`init_delta` is the whole value as `CrdtInit` carries it
(CRDT-013).
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudstate import crdt_pb2 as c
from google.protobuf import any_pb2
from hypothesis import strategies as st

from tck.machines.crdt_strategies import map_keys
from tck.models.crdt_values import (
    TYPES,
    Flag,
    GCounter,
    GSet,
    LWWRegister,
    ORMap,
    ORSet,
    PNCounter,
    Value,
    Vote,
    pack_string,
    receive,
    type_of,
)

# Remote writers also use an element that commands never add, so that the two kinds of change mix.
POOL = ("a", "B", "é", "", "z")


def _strings(texts: set[str] | frozenset[str]) -> list[any_pb2.Any]:
    return [pack_string(t) for t in sorted(texts)]


def init_delta(value: Value) -> c.CrdtDelta:
    """The whole value as a delta from the empty value of its type, as a proxy sends it in `CrdtInit`."""
    match value:
        case GCounter(n):
            return c.CrdtDelta(gcounter=c.GCounterDelta(increment=n))
        case PNCounter(n):
            return c.CrdtDelta(pncounter=c.PNCounterDelta(change=n))
        case GSet(elements):
            return c.CrdtDelta(gset=c.GSetDelta(added=_strings(elements)))
        case ORSet(elements):
            return c.CrdtDelta(orset=c.ORSetDelta(added=_strings(elements)))
        case LWWRegister(text):
            return c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=pack_string(text)))
        case Flag(on):
            return c.CrdtDelta(flag=c.FlagDelta(value=on))
        case ORMap(entries):
            added = [_entry(k, init_delta(v)) for k, v in sorted(entries.items())]
            return c.CrdtDelta(ormap=c.ORMapDelta(added=added))
        case Vote(self_vote, votes_for, total_voters):
            return c.CrdtDelta(vote=c.VoteDelta(self_vote=self_vote, votes_for=votes_for, total_voters=total_voters))


def _entry(key: str, delta: c.CrdtDelta) -> c.ORMapEntryDelta:
    return c.ORMapEntryDelta(key=pack_string(key), delta=delta)


def _subset(draw: st.DrawFn, texts: frozenset[str] | set[str]) -> set[str]:
    return set(draw(st.sets(st.sampled_from(sorted(texts))))) if texts else set()


@st.composite
def remote_delta(draw: st.DrawFn, value: Value | None, kind: type[Value], depth: int = 2) -> c.CrdtDelta | None:
    """A change made by other replicas to ``value`` (None: no value yet), or None when the draw changed nothing."""
    delta = _draw_delta(draw, value, kind, depth)
    if delta is None or receive(value, delta, kind) == value:
        return None
    return delta


def _draw_delta(draw: st.DrawFn, value: Value | None, kind: type[Value], depth: int) -> c.CrdtDelta | None:
    current = value if value is not None else kind()
    match current:
        case GCounter():
            return c.CrdtDelta(gcounter=c.GCounterDelta(increment=draw(st.integers(1, 5))))
        case PNCounter():
            change = draw(st.integers(-5, 5).filter(bool))
            return c.CrdtDelta(pncounter=c.PNCounterDelta(change=change))
        case GSet(elements):
            return c.CrdtDelta(gset=c.GSetDelta(added=_strings(_subset(draw, set(POOL) - elements))))
        case ORSet(elements):
            if draw(st.integers(0, 4)) == 0:
                return c.CrdtDelta(orset=c.ORSetDelta(cleared=True, added=_strings(_subset(draw, set(POOL)))))
            removed, added = _subset(draw, elements), _subset(draw, set(POOL) - elements)
            return c.CrdtDelta(orset=c.ORSetDelta(removed=_strings(removed), added=_strings(added)))
        case LWWRegister():
            return c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=pack_string(draw(st.sampled_from(POOL)))))
        case Flag():
            return c.CrdtDelta(flag=c.FlagDelta(value=True))
        case Vote(self_vote):
            total = draw(st.integers(1, 4))
            votes_for = draw(st.integers(int(self_vote), total - (not self_vote)))
            return c.CrdtDelta(vote=c.VoteDelta(self_vote=self_vote, votes_for=votes_for, total_voters=total))
        case ORMap(entries):
            return _draw_map_delta(draw, entries, depth)


def _draw_map_delta(draw: st.DrawFn, entries: Mapping[str, Value], depth: int) -> c.CrdtDelta:
    keys = draw(st.sets(map_keys(depth), max_size=3))
    if draw(st.integers(0, 5)) == 0:
        added = [_new_entry(draw, key, depth) for key in sorted(keys)]
        return c.CrdtDelta(ormap=c.ORMapDelta(cleared=True, added=added))
    removed = _subset(draw, set(entries))
    kept = sorted(set(entries) - removed)
    updated = []
    for key in draw(st.sets(st.sampled_from(kept), max_size=2)) if kept else ():
        nested = draw(remote_delta(entries[key], type_of(key), depth - 1))
        if nested is not None:
            updated.append(_entry(key, nested))
    added = [_new_entry(draw, key, depth) for key in sorted(keys - set(entries))]
    return c.CrdtDelta(ormap=c.ORMapDelta(removed=_strings(removed), updated=updated, added=added))


def _new_entry(draw: st.DrawFn, key: str, depth: int) -> c.ORMapEntryDelta:
    """A new entry with its whole value: a fresh value another replica changed, or the empty one."""
    kind = type_of(key)
    nested = draw(remote_delta(None, kind, depth - 1))
    return _entry(key, nested if nested is not None else init_delta(kind()))


def wrong_delta(kind: type[Value]) -> st.SearchStrategy[c.CrdtDelta]:
    """A delta of another type than ``kind``: the user function fails its stream (CRDT-018, TCKM-060)."""
    return st.sampled_from([t for t in TYPES if t is not kind]).map(lambda other: init_delta(other()))
