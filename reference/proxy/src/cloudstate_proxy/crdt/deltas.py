"""The deltas the proxy sends a user function: the whole value in CrdtInit, then what changed.

:func:`initial_delta` turns the empty value of a type into a value (CRDT-013).
:func:`delta_between` turns the known value into the current one (CRDT-006),
or answers :data:`REINITIALISE` when no delta of the type can (a counter that
went down, a grow-only set that lost an element, a flag switched off, a change
of type): the proxy then restarts the stream with a fresh CrdtInit (CRDT-065).
Inside an ORMap such a change is expressed by removing the key and adding it
again with its whole value (CRDT-ORMAP-012), so it never needs a restart.
Repeated fields are in ascending element order, so equal changes give equal
messages.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Set

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.elements import Element, to_any, to_anys
from cloudstate_proxy.crdt.reading import value_of
from cloudstate_proxy.crdt.replicated import Crdt
from cloudstate_proxy.crdt.values import (
    FlagValue,
    GCounterValue,
    GSetValue,
    LWWRegisterValue,
    ORMapValue,
    ORSetValue,
    PNCounterValue,
    Value,
    VoteValue,
)


class Reinitialise(enum.Enum):
    """The change cannot be sent as a delta: restart the stream (CRDT-065)."""

    REINITIALISE = "reinitialise"


REINITIALISE = Reinitialise.REINITIALISE
Change = crdt_pb2.CrdtDelta | None | Reinitialise


def initial_delta(value: Value) -> crdt_pb2.CrdtDelta:
    """The delta from the empty value of the type to ``value``, its oneof always set (CRDT-013, CRDT-ORMAP-002)."""
    match value:
        case GCounterValue(count):
            return crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=count))
        case PNCounterValue(count):
            return crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=count))
        case GSetValue(elements):
            return crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta(added=to_anys(elements)))
        case ORSetValue(elements):
            return crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=to_anys(elements)))
        case LWWRegisterValue(element):
            return crdt_pb2.CrdtDelta(lwwregister=crdt_pb2.LWWRegisterDelta(value=to_any(element)))
        case FlagValue(on):
            return crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=on))
        case ORMapValue(entries):
            added = [_entry(key, initial_delta(entries[key])) for key in sorted(entries)]
            return crdt_pb2.CrdtDelta(ormap=crdt_pb2.ORMapDelta(added=added))
        case VoteValue(self_vote, votes_for, total_voters):
            vote = crdt_pb2.VoteDelta(self_vote=self_vote, votes_for=votes_for, total_voters=total_voters)
            return crdt_pb2.CrdtDelta(vote=vote)


def delta_between(known: Value | None, current: Value | None) -> Change:
    """The delta that turns ``known`` into ``current``; None when they are equal.

    None for a value means the entity has no state; a first state is sent whole.
    """
    if known == current:
        return None
    if current is None:
        return REINITIALISE
    if known is None:
        return initial_delta(current)
    match known, current:
        case GCounterValue(old), GCounterValue(new):
            return (
                crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=new - old)) if new > old else REINITIALISE
            )
        case PNCounterValue(old), PNCounterValue(new):
            return crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=new - old))
        case GSetValue(old), GSetValue(new):
            return crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta(added=to_anys(new - old))) if old <= new else REINITIALISE
        case ORSetValue(old), ORSetValue(new):
            if not new:
                return crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(cleared=True))
            return crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(removed=to_anys(old - new), added=to_anys(new - old)))
        case LWWRegisterValue(), LWWRegisterValue(element):
            return crdt_pb2.CrdtDelta(lwwregister=crdt_pb2.LWWRegisterDelta(value=to_any(element)))
        case FlagValue(), FlagValue(on):
            return crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)) if on else REINITIALISE
        case ORMapValue(old_entries), ORMapValue(new_entries):
            return crdt_pb2.CrdtDelta(ormap=_map_delta(old_entries, new_entries))
        case VoteValue(), VoteValue():
            return initial_delta(current)
    return REINITIALISE  # a change of type


def delta_since(known: Value | None, state: Crdt | None, replica: str, live: Set[str] = frozenset()) -> Change:
    """What to send at a turn to a user function that holds ``known``, attached to ``replica`` (CRDT-006)."""
    return delta_between(known, value_of(state, replica, live) if state is not None else None)


def _map_delta(old: Mapping[Element, Value], new: Mapping[Element, Value]) -> crdt_pb2.ORMapDelta:
    """Removed: known keys now absent or of another type; added: whole values; updated: nested deltas."""
    if not new:
        return crdt_pb2.ORMapDelta(cleared=True)
    delta = crdt_pb2.ORMapDelta()
    for key in sorted(old.keys() | new.keys()):
        change = delta_between(old.get(key), new.get(key))
        if change is None:
            continue
        if isinstance(change, crdt_pb2.CrdtDelta) and key in old and key in new:
            delta.updated.append(_entry(key, change))
            continue
        if key in old:
            delta.removed.append(to_any(key))
        if key in new:
            delta.added.append(_entry(key, initial_delta(new[key])))
    return delta


def _entry(key: Element, delta: crdt_pb2.CrdtDelta) -> crdt_pb2.ORMapEntryDelta:
    return crdt_pb2.ORMapEntryDelta(key=to_any(key), delta=delta)
