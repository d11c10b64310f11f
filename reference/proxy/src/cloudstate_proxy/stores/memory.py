"""The embedded default store: everything in this process's memory, gone when it exits.

It has the PostgreSQL store's semantics, checked by the same contract tests:
optimistic concurrency, atomic appends with the snapshot stored as of the
append's last event, only the latest snapshot kept, offsets strictly
increasing per persistence id.

Asyncio safety comes from the absence of awaits: every operation reads and
writes the dictionaries without yielding to the event loop, so no other task
can observe or interleave with a half-done append. (Not thread-safe; the proxy
runs one event loop.) Payloads are kept as ``(type_url, value)`` pairs and a
fresh ``Any`` is built on every read, so neither the caller nor a reader can
change what is stored by mutating a message.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from google.protobuf import any_pb2

from cloudstate_proxy.stores.base import (
    EventJournal,
    Recovery,
    Store,
    StoredEvent,
    StoredSnapshot,
    TaggedEvent,
    ValueStore,
    check_append,
    check_key,
    check_payload,
    check_sequence,
)
from cloudstate_proxy.stores.memory_crdts import MemoryCrdts

_Key = tuple[str, str]  # (persistence id, entity id)
_Payload = tuple[str, bytes]  # (type URL, value)


def _keep(payload: any_pb2.Any) -> _Payload:
    return payload.type_url, payload.value


def _give(payload: _Payload) -> any_pb2.Any:
    return any_pb2.Any(type_url=payload[0], value=payload[1])


class MemoryJournal(EventJournal):
    def __init__(self) -> None:
        self._events: dict[_Key, list[_Payload]] = {}
        self._snapshots: dict[_Key, tuple[int, _Payload]] = {}
        # Per persistence id: offsets (ascending, for bisect) and (entity id, sequence) at the same index.
        self._log_offsets: dict[str, list[int]] = {}
        self._log_entries: dict[str, list[tuple[str, int]]] = {}
        self._last_offset = 0  # one counter for all persistence ids, like PostgreSQL's ordering column

    async def recover(self, persistence_id: str, entity_id: str) -> Recovery:
        check_key(persistence_id, entity_id)
        key = (persistence_id, entity_id)
        events = self._events.get(key, [])
        snapshot = None
        after = 0
        if key in self._snapshots:
            after, payload = self._snapshots[key]
            snapshot = StoredSnapshot(after, _give(payload))
        return Recovery(
            snapshot, tuple(StoredEvent(seq, _give(p)) for seq, p in enumerate(events[after:], start=after + 1))
        )

    async def append(
        self,
        persistence_id: str,
        entity_id: str,
        expected_sequence: int,
        events: Sequence[any_pb2.Any],
        snapshot: any_pb2.Any | None = None,
    ) -> int:
        check_key(persistence_id, entity_id)
        check_append(expected_sequence, events, snapshot)
        key = (persistence_id, entity_id)
        journal = self._events.setdefault(key, [])
        check_sequence(persistence_id, entity_id, len(journal), expected_sequence)
        offsets = self._log_offsets.setdefault(persistence_id, [])
        entries = self._log_entries.setdefault(persistence_id, [])
        for payload in events:
            journal.append(_keep(payload))
            self._last_offset += 1
            offsets.append(self._last_offset)
            entries.append((entity_id, len(journal)))
        if snapshot is not None:
            self._snapshots[key] = (len(journal), _keep(snapshot))
        return len(journal)

    async def events_by_persistence_id(
        self, persistence_id: str, after_offset: int, limit: int
    ) -> Sequence[TaggedEvent]:
        if limit <= 0:
            raise ValueError(f"limit must be > 0, not {limit}")
        offsets = self._log_offsets.get(persistence_id, [])
        entries = self._log_entries.get(persistence_id, [])
        start = bisect.bisect_right(offsets, after_offset)
        result = []
        window = slice(start, start + limit)
        for offset, (entity_id, sequence) in zip(offsets[window], entries[window], strict=True):
            payload = self._events[(persistence_id, entity_id)][sequence - 1]
            result.append(TaggedEvent(offset, entity_id, StoredEvent(sequence, _give(payload))))
        return result


class MemoryValues(ValueStore):
    def __init__(self) -> None:
        self._values: dict[_Key, _Payload] = {}

    async def get(self, persistence_id: str, entity_id: str) -> any_pb2.Any | None:
        check_key(persistence_id, entity_id)
        stored = self._values.get((persistence_id, entity_id))
        return None if stored is None else _give(stored)

    async def put(self, persistence_id: str, entity_id: str, value: any_pb2.Any) -> None:
        check_key(persistence_id, entity_id)
        check_payload(value)
        self._values[(persistence_id, entity_id)] = _keep(value)

    async def delete(self, persistence_id: str, entity_id: str) -> None:
        check_key(persistence_id, entity_id)
        self._values.pop((persistence_id, entity_id), None)


class MemoryStore(Store):
    """Journal, snapshots, values and CRDT states in dictionaries; nothing to start, nothing survives the process."""

    def __init__(self) -> None:
        self.journal = MemoryJournal()
        self.values = MemoryValues()
        self.crdts = MemoryCrdts()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def healthy(self) -> bool:
        return True
