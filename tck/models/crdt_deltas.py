"""The one delta that reports a command's changes (spec 12, user-function side).

:func:`delta` turns a :class:`~tck.models.crdt_changes.Draft` into the
`CrdtDelta` a user function sends, or None when the command changed nothing
(CRDT-023, CRDT-024, CRDT-027, CRDT-ORSET-002, CRDT-ORSET-003, CRDT-LWW-006,
CRDT-FLAG-003, CRDT-ORMAP-003..006, CRDT-VOTE-001). Repeated fields come out
in ascending order; compare observed messages after
:func:`tck.models.crdt_messages.canonical`.
"""

from __future__ import annotations

from cloudstate import crdt_pb2
from google.protobuf import any_pb2

from tck.models.crdt_changes import DEFAULT_CLOCK, Draft
from tck.models.crdt_values import Flag, GCounter, GSet, LWWRegister, ORMap, ORSet, PNCounter, Vote, pack_string


def delta(draft: Draft) -> crdt_pb2.CrdtDelta | None:
    """The delta of the command's net change, or None; a missing ``before`` counts as the empty value."""
    before = draft.before if draft.before is not None else type(draft.after)()
    c = crdt_pb2
    match before, draft.after:
        case (GCounter(old), GCounter(new)) if new != old:
            return c.CrdtDelta(gcounter=c.GCounterDelta(increment=new - old))
        case (PNCounter(old), PNCounter(new)) if new != old:
            return c.CrdtDelta(pncounter=c.PNCounterDelta(change=new - old))
        case (GSet(old), GSet(new)) if new != old:
            return c.CrdtDelta(gset=c.GSetDelta(added=_strings(new - old)))
        case (ORSet(), ORSet(new)) if draft.cleared:
            return c.CrdtDelta(orset=c.ORSetDelta(cleared=True, added=_strings(new)))
        case (ORSet(old), ORSet(new)) if new != old:
            return c.CrdtDelta(orset=c.ORSetDelta(removed=_strings(old - new), added=_strings(new - old)))
        case (LWWRegister(), LWWRegister()) if draft.written is not None:
            return whole(draft)
        case (Flag(False), Flag(True)):
            return c.CrdtDelta(flag=c.FlagDelta(value=True))
        case (ORMap(), ORMap()):
            return _map_delta(draft)
        case (Vote(old), Vote(new)) if new != old:
            return c.CrdtDelta(vote=c.VoteDelta(self_vote=new))
    return None


def _map_delta(draft: Draft) -> crdt_pb2.CrdtDelta | None:
    entries = sorted(draft.entries.items())
    if draft.cleared:
        added = [_entry(k, whole(d)) for k, d in entries]
        return crdt_pb2.CrdtDelta(ormap=crdt_pb2.ORMapDelta(cleared=True, added=added))
    d = crdt_pb2.ORMapDelta(removed=_strings(draft.dropped))
    for key, nested in entries:
        if nested.before is None:  # new, or removed and created again
            d.added.append(_entry(key, whole(nested)))
        elif (change := delta(nested)) is not None:
            d.updated.append(_entry(key, change))
    return crdt_pb2.CrdtDelta(ormap=d) if d.removed or d.updated or d.added else None


def whole(draft: Draft) -> crdt_pb2.CrdtDelta:
    """The whole value as a delta from the empty value, with the clock of a register's last write."""
    c, after = crdt_pb2, draft.after
    match after:
        case GCounter(n):
            return c.CrdtDelta(gcounter=c.GCounterDelta(increment=n))
        case PNCounter(n):
            return c.CrdtDelta(pncounter=c.PNCounterDelta(change=n))
        case GSet(elements):
            return c.CrdtDelta(gset=c.GSetDelta(added=_strings(elements)))
        case ORSet(elements):
            return c.CrdtDelta(orset=c.ORSetDelta(added=_strings(elements)))
        case LWWRegister(text):
            kind, custom = draft.written or DEFAULT_CLOCK
            clock = c.CrdtClock.ValueType(kind)
            register = c.LWWRegisterDelta(value=pack_string(text), clock=clock, custom_clock_value=custom)
            return c.CrdtDelta(lwwregister=register)
        case Flag(on):
            return c.CrdtDelta(flag=c.FlagDelta(value=on))
        case ORMap():
            added = [_entry(k, whole(d)) for k, d in sorted(draft.entries.items())]
            return c.CrdtDelta(ormap=c.ORMapDelta(added=added))
        case Vote(self_vote):
            return c.CrdtDelta(vote=c.VoteDelta(self_vote=self_vote))


def _strings(texts: frozenset[str]) -> list[any_pb2.Any]:
    return [pack_string(t) for t in sorted(texts)]


def _entry(key: str, change: crdt_pb2.CrdtDelta) -> crdt_pb2.ORMapEntryDelta:
    return crdt_pb2.ORMapEntryDelta(key=pack_string(key), delta=change)
