"""The fake's CRDT values, kept the way a support library keeps them: a value plus the changes not yet sent.

Written apart from ``tck.models`` on purpose: where the model computes a
command's delta as the difference between the value before and after, these
classes record each change as it happens (like an SDK does), so the two only
agree when both are right. ``update`` applies a model `Update` (a command's
change), ``receive`` a delta from the proxy, ``delta`` the recorded changes
(``reset`` forgets them), ``whole`` the value as a delta from the empty one.
"""

from __future__ import annotations

import abc

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m
from google.protobuf import any_pb2, wrappers_pb2

STRING = "p.cloudstate.io/string"


class BadDelta(ValueError):
    pass


def text(packed: any_pb2.Any) -> str:
    if packed.type_url != STRING:
        raise BadDelta(f"element of type {packed.type_url}")
    return wrappers_pb2.StringValue.FromString(packed.value).value


def packed(value: str) -> any_pb2.Any:
    return any_pb2.Any(type_url=STRING, value=wrappers_pb2.StringValue(value=value).SerializeToString())


class Crdt(abc.ABC):
    KIND = ""

    def check(self, delta: c.CrdtDelta) -> None:
        if delta.WhichOneof("delta") != self.KIND:
            raise BadDelta(f"a {delta.WhichOneof('delta')} delta for a {self.KIND}")

    @abc.abstractmethod
    def update(self, change: m.Update) -> None: ...
    @abc.abstractmethod
    def receive(self, delta: c.CrdtDelta) -> None: ...
    @abc.abstractmethod
    def delta(self) -> c.CrdtDelta | None: ...
    @abc.abstractmethod
    def whole(self) -> c.CrdtDelta: ...
    @abc.abstractmethod
    def reset(self) -> None: ...
    @abc.abstractmethod
    def state(self) -> m.State: ...


class Counter(Crdt):
    """GCounter and PNCounter: the same arithmetic under two field names."""

    def __init__(self, kind: str) -> None:
        self.KIND, self.value, self.pending = kind, 0, 0

    def _amount(self, delta: c.CrdtDelta) -> int:
        return delta.gcounter.increment if self.KIND == "gcounter" else delta.pncounter.change

    def _delta(self, amount: int) -> c.CrdtDelta:
        if self.KIND == "gcounter":
            return c.CrdtDelta(gcounter=c.GCounterDelta(increment=amount))
        return c.CrdtDelta(pncounter=c.PNCounterDelta(change=amount))

    def update(self, change: m.Update) -> None:
        amount = change.gcounter.increment if self.KIND == "gcounter" else change.pncounter.change
        self.value, self.pending = self.value + amount, self.pending + amount

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        self.value += self._amount(delta)

    def delta(self) -> c.CrdtDelta | None:
        return self._delta(self.pending) if self.pending else None

    def whole(self) -> c.CrdtDelta:
        return self._delta(self.value)

    def reset(self) -> None:
        self.pending = 0

    def state(self) -> m.State:
        if self.KIND == "gcounter":
            return m.State(gcounter=m.GCounterValue(value=self.value))
        return m.State(pncounter=m.PNCounterValue(value=self.value))


class GSet(Crdt):
    KIND = "gset"

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.added: set[str] = set()

    def update(self, change: m.Update) -> None:
        if change.gset.add not in self.values:
            self.values.add(change.gset.add)
            self.added.add(change.gset.add)

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        self.values |= {text(e) for e in delta.gset.added}

    def delta(self) -> c.CrdtDelta | None:
        return c.CrdtDelta(gset=c.GSetDelta(added=[packed(e) for e in self.added])) if self.added else None

    def whole(self) -> c.CrdtDelta:
        return c.CrdtDelta(gset=c.GSetDelta(added=[packed(e) for e in self.values]))

    def reset(self) -> None:
        self.added = set()

    def state(self) -> m.State:
        return m.State(gset=m.GSetValue(elements=sorted(self.values)))


class ORSet(Crdt):
    KIND = "orset"

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.reset()

    def reset(self) -> None:
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self.cleared = False

    def add(self, element: str) -> None:
        if element not in self.values:
            self.values.add(element)
            if element in self.removed:
                self.removed.discard(element)
            else:
                self.added.add(element)

    def remove(self, element: str) -> None:
        if element in self.values:
            self.values.discard(element)
            if element in self.added:
                self.added.discard(element)
            else:
                self.removed.add(element)

    def update(self, change: m.Update) -> None:
        action = change.orset.WhichOneof("action")
        if action == "add":
            self.add(change.orset.add)
        elif action == "remove":
            self.remove(change.orset.remove)
        elif action == "clear" and change.orset.clear:
            self.values, self.added, self.removed, self.cleared = set(), set(), set(), True

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        if delta.orset.cleared:
            self.values = set()
        self.values -= {text(e) for e in delta.orset.removed}
        self.values |= {text(e) for e in delta.orset.added}

    def delta(self) -> c.CrdtDelta | None:
        if self.cleared:
            return c.CrdtDelta(orset=c.ORSetDelta(cleared=True, added=[packed(e) for e in self.values]))
        if not (self.added or self.removed):
            return None
        removed, added = [packed(e) for e in self.removed], [packed(e) for e in self.added]
        return c.CrdtDelta(orset=c.ORSetDelta(removed=removed, added=added))

    def whole(self) -> c.CrdtDelta:
        return c.CrdtDelta(orset=c.ORSetDelta(added=[packed(e) for e in self.values]))

    def state(self) -> m.State:
        return m.State(orset=m.ORSetValue(elements=sorted(self.values)))
