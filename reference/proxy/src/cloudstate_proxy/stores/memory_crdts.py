"""CRDT state in this process's memory: the in-memory store's :class:`~.base.CrdtStore`.

States are kept encoded, as the PostgreSQL store keeps them, so that nothing a
caller holds can change what is stored, and so that the encoding is exercised
by every test. There is no await between the read and the write of a merge, so
the read-merge-write is atomic on the event loop.
"""

from __future__ import annotations

from cloudstate_proxy.crdt import Replicated, decode, encode, merge
from cloudstate_proxy.stores.base import CrdtStore, StoredCrdt, check_key


class MemoryCrdts(CrdtStore):
    def __init__(self) -> None:
        self._states: dict[tuple[str, str], tuple[int, bytes]] = {}

    async def load(self, persistence_id: str, entity_id: str) -> StoredCrdt | None:
        check_key(persistence_id, entity_id)
        stored = self._states.get((persistence_id, entity_id))
        return None if stored is None else StoredCrdt(decode(stored[1]), stored[0])

    async def merge_and_save(
        self, persistence_id: str, entity_id: str, state: Replicated, origin: str = ""
    ) -> StoredCrdt:
        check_key(persistence_id, entity_id)
        key = (persistence_id, entity_id)
        version, merged = 1, state
        if key in self._states:
            previous, data = self._states[key]
            version, merged = previous + 1, merge(decode(data), state)
        self._states[key] = (version, encode(merged))
        return StoredCrdt(merged, version)
