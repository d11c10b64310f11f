"""The engine of CRDT entities (spec/12-crdt.md): one :class:`~.crdt_instance.CrdtInstance` per active entity.

Unary methods answer with one outcome; server-streaming methods become
streamed commands whose messages the client receives until the user function,
the proxy or the client ends the call (a client that leaves is reported to the
user function with StreamCancelled). The engine is also the replication's
watcher for its persistence id: a change made by another replica is merged
into the entity's replica when the entity is active here, and every active
entity is told when the set of replicas that are up changes (Vote).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from cloudstate_proxy.descriptors import ServiceModel
from cloudstate_proxy.engines.base import Engine, Invocation, Outcome, Runtime
from cloudstate_proxy.engines.crdt_calls import Pending, StreamedCall
from cloudstate_proxy.engines.crdt_instance import CrdtInstance
from cloudstate_proxy.engines.crdt_lifecycle import CrdtLifecycle
from cloudstate_proxy.stores.replication import SingleReplica, default_replica_id


class CrdtEngine(Engine):
    def __init__(self, service: ServiceModel, runtime: Runtime) -> None:
        super().__init__(service, runtime)
        self.replication = runtime.replication or SingleReplica(runtime.settings.replica_id or default_replica_id())
        self._instances: dict[str, CrdtInstance] = {}
        self.replication.watch(service.persistence_id, self)
        self.replication.on_membership(self._membership_changed)

    @property
    def active(self) -> int:
        return len(self._instances)

    def instance(self, entity_id: str) -> CrdtInstance:
        found = self._instances.get(entity_id)
        if found is None:
            found = self._instances[entity_id] = CrdtInstance(self, entity_id)
        return found

    def forget(self, instance: CrdtLifecycle) -> None:
        if self._instances.get(instance.entity_id) is instance:
            del self._instances[instance.entity_id]

    async def unary(self, invocation: Invocation) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.instance(invocation.entity_id).submit(Pending(invocation, future=future))
        return await future

    async def server_streaming(self, invocation: Invocation) -> AsyncGenerator[Outcome, None]:
        call = StreamedCall(invocation.method)
        instance = self.instance(invocation.entity_id)
        instance.submit(Pending(invocation, call=call))
        try:
            async for outcome in call.messages():
                yield outcome
        finally:
            if not call.ended:  # the client went away (or the call failed on the way to it)
                instance.client_cancelled(call)

    async def remote_change(self, entity_id: str) -> int | None:
        instance = self._instances.get(entity_id)
        return None if instance is None else await instance.refresh()

    async def resync(self) -> None:
        for instance in list(self._instances.values()):
            with contextlib.suppress(Exception):
                await instance.refresh()

    def _membership_changed(self) -> None:
        for instance in list(self._instances.values()):
            instance.membership_changed()

    async def close(self, grace: float) -> None:
        instances = list(self._instances.values())
        if instances:
            await asyncio.gather(*(instance.shutdown(grace) for instance in instances), return_exceptions=True)
