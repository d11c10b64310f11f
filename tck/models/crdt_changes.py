"""A CRDT value being changed by one command of the TCK model (the updates of TCKM-068).

A :class:`Draft` holds the value before the command, the value now, and what
the net difference cannot show: a set or map cleared on the way, a register
written, map keys removed and created again. :mod:`tck.models.crdt_deltas`
turns it into the delta the user function sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from cloudstate import crdt_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2

from tck.models.crdt_values import (
    Flag,
    GCounter,
    GSet,
    LWWRegister,
    ORMap,
    ORSet,
    PNCounter,
    Value,
    Vote,
    type_of,
)

Clock = tuple[int, int]  # (CrdtClock, custom clock value)
DEFAULT_CLOCK: Clock = (crdt_pb2.DEFAULT, 0)


@dataclasses.dataclass(frozen=True)
class Draft:
    """``before`` is None for an entity or map entry that did not exist when the command started."""

    before: Value | None
    after: Value
    cleared: bool = False  # ORSet, ORMap: cleared at some point
    written: Clock | None = None  # LWWRegister: clock of the last write
    dropped: frozenset[str] = frozenset()  # ORMap: keys present before that the command removed
    entries: Mapping[str, Draft] = dataclasses.field(default_factory=dict)  # ORMap: one per current entry


def start(value: Value) -> Draft:
    entries = {k: start(v) for k, v in value.entries.items()} if isinstance(value, ORMap) else {}
    return Draft(value, value, entries=entries)


def create(kind: type[Value]) -> Draft:
    """A new CRDT; a register is created holding "" and that counts as a write (TCKM-062, TCKM-063)."""
    return Draft(None, kind(), written=DEFAULT_CLOCK if kind is LWWRegister else None)


def update(draft: Draft, change: model_pb2.Update) -> Draft:
    """Apply one `Update` (TCKM-068); the variant must match the value's type (the TCK never mixes them)."""
    which = change.WhichOneof("update")
    if which is None:
        return draft
    if which != draft.after.KIND:
        raise ValueError(f"a {which} update for a {draft.after.PREFIX}")
    after, replace = draft.after, dataclasses.replace
    match after:
        case GCounter(n):
            return replace(draft, after=GCounter(n + change.gcounter.increment))
        case PNCounter(n):
            return replace(draft, after=PNCounter(n + change.pncounter.change))
        case GSet(elements):
            return replace(draft, after=GSet(elements | {change.gset.add}))
        case ORSet(elements):
            o = change.orset
            match o.WhichOneof("action"):
                case "add":
                    return replace(draft, after=ORSet(elements | {o.add}))
                case "remove":
                    return replace(draft, after=ORSet(elements - {o.remove}))
                case "clear" if o.clear:
                    return replace(draft, after=ORSet(), cleared=True)
            return draft
        case LWWRegister():
            w = change.lwwregister
            clock = (int(w.clock.clockType), w.clock.customClockValue) if w.HasField("clock") else DEFAULT_CLOCK
            return replace(draft, after=LWWRegister(w.value), written=clock)
        case Flag():
            return replace(draft, after=Flag(True))
        case ORMap():
            return _update_map(draft, change.ormap)
        case Vote():
            return replace(draft, after=after.cast(change.vote.self_vote))


def _update_map(draft: Draft, change: model_pb2.ORMapUpdate) -> Draft:
    entries, dropped, cleared = dict(draft.entries), draft.dropped, draft.cleared
    match change.WhichOneof("action"):
        case "add" if change.add not in entries:
            entries[change.add] = create(type_of(change.add))
        case "update":
            key = change.update.key
            entries[key] = update(entries.get(key) or create(type_of(key)), change.update.update)
        case "remove" if change.remove in entries:
            del entries[change.remove]
            before = draft.before
            if isinstance(before, ORMap) and change.remove in before.entries:
                dropped |= {change.remove}
        case "clear" if change.clear:
            entries, cleared = {}, True
        case _:
            return draft
    after = ORMap({k: d.after for k, d in entries.items()})
    return dataclasses.replace(draft, after=after, entries=entries, dropped=dropped, cleared=cleared)
