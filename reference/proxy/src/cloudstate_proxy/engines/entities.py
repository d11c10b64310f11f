"""The engine for entity types served over one stream per entity (event-sourced, value).

It keeps the active :class:`~.instance.EntityInstance` of each entity id and
queues every command on its instance; many instances run in parallel, so a
slow entity holds up only its own commands.
"""

from __future__ import annotations

import asyncio
import contextlib

from cloudstate_proxy.descriptors import ServiceModel
from cloudstate_proxy.engines.base import Engine, Invocation, Outcome, Runtime
from cloudstate_proxy.engines.instance import EntityInstance, Pending
from cloudstate_proxy.engines.session import EntitySession


class EntityEngine(Engine):
    def __init__(self, service: ServiceModel, runtime: Runtime, session_type: type[EntitySession]) -> None:
        super().__init__(service, runtime)
        self.session_type = session_type
        self._instances: dict[str, EntityInstance] = {}

    @property
    def active(self) -> int:
        """How many instances exist (with a stream or queued commands)."""
        return len(self._instances)

    async def unary(self, invocation: Invocation) -> Outcome:
        instance = self._instances.get(invocation.entity_id)
        if instance is None:
            instance = self._instances[invocation.entity_id] = EntityInstance(self, invocation.entity_id)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        instance.submit(Pending(invocation, future))
        return await future

    def forget(self, instance: EntityInstance) -> None:
        if self._instances.get(instance.entity_id) is instance:
            del self._instances[instance.entity_id]

    async def close(self, grace: float) -> None:
        instances = list(self._instances.values())
        for instance in instances:
            instance.stop()
        tasks = [instance.task for instance in instances]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
