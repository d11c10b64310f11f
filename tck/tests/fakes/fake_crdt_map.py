"""The fake's ORMap, and making a CRDT of the type a name's prefix names (entity ids, map keys)."""

from __future__ import annotations

from collections.abc import Callable

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m

from tck.tests.fakes.fake_crdt_registers import Flag, LWWRegister, Vote
from tck.tests.fakes.fake_crdt_values import BadDelta, Counter, Crdt, GSet, ORSet, packed, text


class ORMap(Crdt):
    KIND = "ormap"

    def __init__(self) -> None:
        self.entries: dict[str, Crdt] = {}
        self.reset()

    def reset(self) -> None:
        self.before = set(self.entries)
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self.cleared = False
        for nested in self.entries.values():
            nested.reset()

    def _create(self, key: str) -> Crdt:
        if key not in self.entries:
            self.entries[key] = created(key)
            self.added.add(key)
        return self.entries[key]

    def update(self, change: m.Update) -> None:
        u = change.ormap
        match u.WhichOneof("action"):
            case "add":
                self._create(u.add)
            case "update":
                self._create(u.update.key).update(u.update.update)
            case "remove" if u.remove in self.entries:
                del self.entries[u.remove]
                self.added.discard(u.remove)
                if u.remove in self.before:
                    self.removed.add(u.remove)
            case "clear" if u.clear:
                self.entries, self.added, self.removed, self.cleared = {}, set(), set(), True

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        d = delta.ormap
        if d.cleared:
            self.entries = {}
        for key in d.removed:
            self.entries.pop(text(key), None)
        for entry in d.updated:
            name = text(entry.key)
            if name in self.entries:
                self.entries[name].receive(entry.delta)
            else:
                self.entries[name] = received(name, entry.delta)
        for entry in d.added:
            self.entries[text(entry.key)] = received(text(entry.key), entry.delta)
        self.before = set(self.entries)  # the proxy knows these keys now: removing one is a change to send

    def delta(self) -> c.CrdtDelta | None:
        if self.cleared:
            return self.whole(cleared=True)
        d = c.ORMapDelta(removed=[packed(k) for k in self.removed])
        for key, nested in self.entries.items():
            if key in self.added:
                d.added.append(c.ORMapEntryDelta(key=packed(key), delta=nested.whole()))
            elif (change := nested.delta()) is not None:
                d.updated.append(c.ORMapEntryDelta(key=packed(key), delta=change))
        return c.CrdtDelta(ormap=d) if d.removed or d.updated or d.added else None

    def whole(self, cleared: bool = False) -> c.CrdtDelta:
        added = [c.ORMapEntryDelta(key=packed(k), delta=v.whole()) for k, v in self.entries.items()]
        return c.CrdtDelta(ormap=c.ORMapDelta(cleared=cleared, added=added))

    def state(self) -> m.State:
        entries = [m.ORMapEntryValue(key=k, value=self.entries[k].state()) for k in sorted(self.entries)]
        return m.State(ormap=m.ORMapValue(entries=entries))


# Broken variants replace classes here (fake_crdt_broken), so every CRDT is made through this table.
TYPES: dict[str, Callable[[], Crdt]] = {
    "GCounter": lambda: Counter("gcounter"),
    "PNCounter": lambda: Counter("pncounter"),
    "GSet": GSet,
    "ORSet": ORSet,
    "LWWRegister": LWWRegister,
    "Flag": Flag,
    "ORMap": ORMap,
    "Vote": Vote,
}


def empty(name: str) -> Crdt:
    prefix = name.split("-", 1)[0]
    if prefix not in TYPES:
        raise BadDelta(f"{name!r} names no CRDT type")
    return TYPES[prefix]()


def created(name: str) -> Crdt:
    """A CRDT a command creates: a register starts as a write of "" (TCKM-063)."""
    crdt = empty(name)
    if isinstance(crdt, LWWRegister):
        crdt.written = True
    return crdt


def received(name: str, delta: c.CrdtDelta) -> Crdt:
    """A CRDT that a delta from the proxy creates: nothing of it is left to send."""
    crdt = empty(name)
    crdt.receive(delta)
    crdt.reset()
    return crdt
