"""Persisting a CRDT entity's replica and waiting for write consistency (CRDT-026, CRDT-028 to CRDT-033).

Changes are applied to the replica as the user function's replies arrive;
this writer then stores the replica's whole state with the store's
read-merge-write, coalescing the changes that arrive while a write is in
progress into the next one. Each caller gets a future for "every change up to
mine is stored", then, for MAJORITY and ALL, "and enough replicas that are up
hold it". A failed write fails the callers it covered; the changes stay on the
replica (they cannot be undone, CRDT-032), and the writer tries again after a
pause until it succeeds, so the replica and the store end up equal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt import Replicated, Tombstone
from cloudstate_proxy.engines.base import Runtime
from cloudstate_proxy.engines.session import store_error
from cloudstate_proxy.errors import ConsistencyNotReached, EntityDeleted, ProxyError
from cloudstate_proxy.stores.base import StoredCrdt
from cloudstate_proxy.stores.replication import Replication

log = logging.getLogger(__name__)

#: Pauses between attempts to store a change after the store failed.
RETRY_MIN, RETRY_MAX = 0.5, 10.0


@dataclasses.dataclass(eq=False)
class _Waiter:
    change: int  # the changes up to this number must be stored
    consistency: crdt_pb2.CrdtWriteConsistency.ValueType
    updating: bool  # an update (fails if the store turns out to hold a tombstone), not a delete or a barrier
    future: asyncio.Future[None]


class CrdtWriter:
    def __init__(
        self,
        runtime: Runtime,
        replication: Replication,
        label: str,
        key: tuple[str, str],
        state: Callable[[], Replicated | None],
        saved: Callable[[StoredCrdt], None],
    ) -> None:
        self._runtime, self._replication, self._label, self._key = runtime, replication, label, key
        self._state, self._saved_hook = state, saved
        self._changes = 0  # changes applied to the replica
        self._stored = 0  # changes known to be stored
        self._waiters: list[_Waiter] = []
        self._task: asyncio.Task[None] | None = None
        self._replicating: set[asyncio.Task[None]] = set()
        self.clean = asyncio.Event()
        self.clean.set()

    @property
    def dirty(self) -> bool:
        return self._stored < self._changes

    def write(
        self, consistency: crdt_pb2.CrdtWriteConsistency.ValueType, *, change: bool, updating: bool = False
    ) -> asyncio.Future[None]:
        """Resolves once every change so far (plus one, when ``change``) is stored at ``consistency``.

        With ``change`` false this is a barrier: it waits only for earlier
        changes, at LOCAL consistency.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if change:
            self._changes += 1
            self.clean.clear()
        if not change and not self.dirty:
            future.set_result(None)
            return future
        level = consistency if change else crdt_pb2.LOCAL
        self._waiters.append(_Waiter(self._changes, level, updating, future))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"writes of {self._label}")
        return future

    def stop(self, error: ProxyError) -> None:
        """Give up (the proxy is shutting down): what is not stored yet stays unstored and its callers fail."""
        if self._task is not None:  # consistency waits already under way end by their timeout
            self._task.cancel()
        self._task = None
        self._settle(self._changes, None, error)
        self.clean.set()

    async def _run(self) -> None:
        pause = RETRY_MIN
        while self.dirty:
            target, state = self._changes, self._state()
            assert state is not None, "a change was applied, so there is state"
            try:
                stored = await self._runtime.store.crdts.merge_and_save(*self._key, state, self._replication.replica)
            except Exception as error:
                failure = (
                    error if isinstance(error, ProxyError) else store_error(error, f"{self._label}: persisting failed")
                )
                log.warning("CRDT write failed; retrying", extra={"entity": self._label, "error": failure.message})
                self._settle(target, None, failure)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
                continue
            self._stored = max(self._stored, target)
            self._saved_hook(stored)
            self._settle(target, stored, None)
        self._task = None
        self.clean.set()

    def _settle(self, target: int, stored: StoredCrdt | None, error: ProxyError | None) -> None:
        covered = [w for w in self._waiters if w.change <= target]
        self._waiters = [w for w in self._waiters if w.change > target]
        for waiter in covered:
            if waiter.future.done():
                continue
            if error is not None:
                waiter.future.set_exception(error)
            elif stored is not None and waiter.updating and isinstance(stored.state, Tombstone):
                waiter.future.set_exception(EntityDeleted(f"{self._label} was deleted"))  # CRDT-034
            elif stored is None or waiter.consistency == crdt_pb2.LOCAL:
                waiter.future.set_result(None)
            else:
                task = asyncio.get_running_loop().create_task(self._replicate(waiter, stored.version))
                self._replicating.add(task)
                task.add_done_callback(self._replicating.discard)

    async def _replicate(self, waiter: _Waiter, version: int) -> None:
        timeout = self._runtime.settings.crdt_write_timeout
        reached = await self._replication.replicated(*self._key, version, waiter.consistency, timeout)
        if waiter.future.done():
            return
        if reached:
            waiter.future.set_result(None)
        else:
            level = crdt_pb2.CrdtWriteConsistency.Name(waiter.consistency)
            waiter.future.set_exception(
                ConsistencyNotReached(f"{self._label}: write consistency {level} not reached within {timeout:g} s")
            )
