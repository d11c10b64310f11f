"""The set and map CRDTs. Elements and keys are identified by their packed bytes
(see :mod:`cloudstate_sdk.payloads`), so ``"a"`` and ``b"a"`` differ."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from cloudstate import crdt_pb2

from cloudstate_sdk._crdt_base import Crdt, crdt_from_delta, element_any, element_key
from cloudstate_sdk.payloads import unpack

C = TypeVar("C", bound=Crdt)
_Key = tuple[str, bytes]


class _Elements(Crdt):
    """What both sets share: the elements, keyed by their packed bytes."""

    def __init__(self) -> None:
        self._elements: dict[_Key, Any] = {}
        self._added: dict[_Key, Any] = {}

    def __contains__(self, value: object) -> bool:
        return element_key(value) in self._elements

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._elements.values()))

    def __len__(self) -> int:
        return len(self._elements)

    def add(self, value: Any) -> bool:
        """Add ``value``; False when it was already there."""
        key = element_key(value)
        if key in self._elements:
            return False
        self._elements[key] = value
        self._note_added(key, value)
        return True

    def _note_added(self, key: _Key, value: Any) -> None:
        self._added[key] = value

    def _add_all(self, added: Any) -> None:
        for element in added:
            self._elements.setdefault((element.type_url, element.value), unpack(element))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._elements.values())!r})"


class GSet(_Elements):
    """A set that only grows."""

    delta_kind = "gset"

    def _has_delta(self) -> bool:
        return bool(self._added)

    def _delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta(added=[element_any(k) for k in self._added]))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta(added=[element_any(k) for k in self._elements]))

    def _reset_delta(self) -> None:
        self._added = {}

    def _apply(self, delta: crdt_pb2.GSetDelta) -> None:
        self._add_all(delta.added)


class ORSet(_Elements):
    """A set whose elements can be added and removed."""

    delta_kind = "orset"

    def __init__(self) -> None:
        super().__init__()
        self._cleared = False
        self._removed: set[_Key] = set()

    def remove(self, value: Any) -> bool:
        """Remove ``value``; False when it was not there."""
        key = element_key(value)
        if key not in self._elements:
            return False
        del self._elements[key]
        if key in self._added:
            del self._added[key]  # added and removed within one delta: nothing to send for it
        else:
            self._removed.add(key)
        return True

    def _note_added(self, key: _Key, value: Any) -> None:
        if key in self._removed:
            # Removed and added back: present before and after the command, so in neither list (CRDT-ORSET-003).
            self._removed.discard(key)
        else:
            super()._note_added(key, value)

    def clear(self) -> None:
        self._elements, self._added, self._removed, self._cleared = {}, {}, set(), True

    def _has_delta(self) -> bool:
        return self._cleared or bool(self._added or self._removed)

    def _delta(self) -> crdt_pb2.CrdtDelta:
        removed = [element_any(k) for k in self._removed]
        added = [element_any(k) for k in self._added]
        return crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(cleared=self._cleared, removed=removed, added=added))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[element_any(k) for k in self._elements]))

    def _reset_delta(self) -> None:
        self._added, self._removed, self._cleared = {}, set(), False

    def _apply(self, delta: crdt_pb2.ORSetDelta) -> None:
        if delta.cleared:
            self._elements = {}
        for element in delta.removed:
            self._elements.pop((element.type_url, element.value), None)
        self._add_all(delta.added)


class ORMap(Crdt):
    """A map from keys to CRDT values; entries can be added, changed and removed."""

    delta_kind = "ormap"

    def __init__(self) -> None:
        self._entries: dict[_Key, tuple[Any, Crdt]] = {}
        self._cleared = False
        self._removed: set[_Key] = set()
        self._added: set[_Key] = set()

    def get(self, key: Any) -> Crdt | None:
        entry = self._entries.get(element_key(key))
        return None if entry is None else entry[1]

    def get_or_create(self, key: Any, factory: Callable[[], C]) -> C:
        """The value of ``key``, created with ``factory`` (and added) when missing."""
        found = self.get(key)
        if found is None:
            found = factory()
            self[key] = found
        return found  # type: ignore[return-value]

    def __setitem__(self, key: Any, value: Crdt) -> None:
        if not isinstance(value, Crdt):
            raise TypeError(f"ORMap values are CRDTs, not {type(value).__qualname__}")
        packed = element_key(key)
        if packed in self._entries and packed not in self._added:
            self._removed.add(packed)  # replaced: the old entry goes, the new one is added
        self._entries[packed] = (key, value)
        self._added.add(packed)

    def __getitem__(self, key: Any) -> Crdt:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def remove(self, key: Any) -> bool:
        packed = element_key(key)
        if self._entries.pop(packed, None) is None:
            return False
        if packed in self._added:
            self._added.discard(packed)
        else:
            self._removed.add(packed)
        return True

    def clear(self) -> None:
        self._entries, self._removed, self._added, self._cleared = {}, set(), set(), True

    def __contains__(self, key: object) -> bool:
        return element_key(key) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[Any]:
        return [key for key, _ in self._entries.values()]

    def items(self) -> list[tuple[Any, Crdt]]:
        return list(self._entries.values())

    def _has_delta(self) -> bool:
        changed = any(v._has_delta() for k, (_, v) in self._entries.items() if k not in self._added)
        return self._cleared or bool(self._removed or self._added) or changed

    def _delta(self) -> crdt_pb2.CrdtDelta:
        delta = crdt_pb2.ORMapDelta(cleared=self._cleared, removed=[element_any(k) for k in self._removed])
        for packed, (_, value) in self._entries.items():
            if packed in self._added:
                delta.added.add(key=element_any(packed), delta=value._full_delta())
            elif value._has_delta():
                delta.updated.add(key=element_any(packed), delta=value._delta())
        return crdt_pb2.CrdtDelta(ormap=delta)

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        delta = crdt_pb2.ORMapDelta()
        for packed, (_, value) in self._entries.items():
            delta.added.add(key=element_any(packed), delta=value._full_delta())
        return crdt_pb2.CrdtDelta(ormap=delta)

    def _reset_delta(self) -> None:
        self._removed, self._added, self._cleared = set(), set(), False
        for _, value in self._entries.values():
            value._reset_delta()

    def _apply(self, delta: crdt_pb2.ORMapDelta) -> None:
        if delta.cleared:
            self._entries = {}
        for key in delta.removed:
            self._entries.pop((key.type_url, key.value), None)
        for entry in delta.updated:
            found = self._entries.get((entry.key.type_url, entry.key.value))
            if found is not None:
                found[1]._apply_delta(entry.delta)
        for entry in delta.added:
            self._entries[(entry.key.type_url, entry.key.value)] = (unpack(entry.key), crdt_from_delta(entry.delta))

    def __repr__(self) -> str:
        return f"ORMap({dict((repr(k), v) for k, v in self._entries.values())!r})"
