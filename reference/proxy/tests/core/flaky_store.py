"""The in-memory store with faults and delays injected on demand, and a record of its calls."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cloudstate_proxy.errors import StoreUnavailable
from cloudstate_proxy.stores.base import EventJournal, Recovery, Store, TaggedEvent, ValueStore
from cloudstate_proxy.stores.memory import MemoryStore
from google.protobuf import any_pb2


class Faults:
    def __init__(self) -> None:
        self.failing: set[str] = set()  # operation names that raise StoreUnavailable
        self.delay = 0.0  # seconds every write waits before it happens
        self.calls: list[str] = []

    async def check(self, operation: str, write: bool) -> None:
        self.calls.append(operation)
        if write and self.delay:
            await asyncio.sleep(self.delay)
        if operation in self.failing:
            raise StoreUnavailable(f"injected failure of {operation}")


class _Journal(EventJournal):
    def __init__(self, inner: EventJournal, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    async def recover(self, persistence_id: str, entity_id: str) -> Recovery:
        await self._faults.check("recover", write=False)
        return await self._inner.recover(persistence_id, entity_id)

    async def append(
        self,
        persistence_id: str,
        entity_id: str,
        expected_sequence: int,
        events: Sequence[any_pb2.Any],
        snapshot: any_pb2.Any | None = None,
    ) -> int:
        await self._faults.check("append", write=True)
        return await self._inner.append(persistence_id, entity_id, expected_sequence, events, snapshot)

    async def events_by_persistence_id(
        self, persistence_id: str, after_offset: int, limit: int
    ) -> Sequence[TaggedEvent]:
        return await self._inner.events_by_persistence_id(persistence_id, after_offset, limit)


class _Values(ValueStore):
    def __init__(self, inner: ValueStore, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    async def get(self, persistence_id: str, entity_id: str) -> any_pb2.Any | None:
        await self._faults.check("get", write=False)
        return await self._inner.get(persistence_id, entity_id)

    async def put(self, persistence_id: str, entity_id: str, value: any_pb2.Any) -> None:
        await self._faults.check("put", write=True)
        await self._inner.put(persistence_id, entity_id, value)

    async def delete(self, persistence_id: str, entity_id: str) -> None:
        await self._faults.check("delete", write=True)
        await self._inner.delete(persistence_id, entity_id)


class FlakyStore(Store):
    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.faults = Faults()
        self.journal = _Journal(self.inner.journal, self.faults)
        self.values = _Values(self.inner.values, self.faults)

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def healthy(self) -> bool:
        return await self.inner.healthy()
