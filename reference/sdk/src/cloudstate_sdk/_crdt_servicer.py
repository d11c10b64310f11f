"""The ``cloudstate.crdt.Crdt`` protocol: one stream per entity, several answers
per incoming message (a reply, then messages for streamed commands)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from cloudstate import crdt_pb2, crdt_pb2_grpc, entity_pb2

from cloudstate_sdk._crdt_runtime import CrdtInstance
from cloudstate_sdk._streams import EntityStream, StreamEnded, crash_description
from cloudstate_sdk.crdt import CrdtEntity
from cloudstate_sdk.errors import ProtocolError

T = TypeVar("T")


class CrdtServicer(crdt_pb2_grpc.CrdtServicer):
    def __init__(self, entities: Mapping[str, CrdtEntity]) -> None:
        self._entities = dict(entities)

    async def handle(self, requests: Any, context: Any) -> AsyncIterator[crdt_pb2.CrdtStreamOut]:
        stream = _Stream(self._entities)
        try:
            async for message in requests:
                for out in await stream.answer(message):
                    yield out
        except StreamEnded as ended:
            yield crdt_pb2.CrdtStreamOut(failure=ended.failure)


class _Stream(EntityStream):
    kind = "CRDT entity"

    def __init__(self, entities: Mapping[str, CrdtEntity]) -> None:
        super().__init__()
        self._entities = entities
        self._instance: CrdtInstance | None = None

    async def answer(self, message: crdt_pb2.CrdtStreamIn) -> list[crdt_pb2.CrdtStreamOut]:
        kind = message.WhichOneof("message")
        if kind == "init":
            self._init(message.init)
            return []
        instance = self._instance
        if instance is None:
            raise self.violation(f"expected init as the first message, got {kind or 'a message with nothing set'}")
        if instance.deleted and kind != "delete":
            raise self.violation(f"received {kind or 'a message with nothing set'} after the entity was deleted")
        if kind == "command":
            return await self._command(instance, message.command)
        if kind == "delta":
            self._receive("applying a delta", lambda: instance.receive(message.delta))
            return await self._guard("telling the streamed commands of a delta", instance.notify(exclude=None))
        if kind == "stream_cancelled":
            cancelled = message.stream_cancelled.id
            return await self._guard(f"cancelling command {cancelled}", instance.cancel(cancelled), cancelled)
        if kind == "delete":
            instance.delete()
            return []
        raise self.violation("received a message with nothing set")

    def _init(self, init: crdt_pb2.CrdtInit) -> None:
        if self._instance is not None:
            raise self.violation("received a second init")
        entity = self._entities.get(init.service_name)
        if entity is None:
            raise self.violation(f"init names {init.service_name!r}, which is not served as a CRDT entity")
        self.service_name, self.entity_id = init.service_name, init.entity_id
        delta = init.delta if init.HasField("delta") else None
        self._instance = self._receive("applying the init's delta", lambda: CrdtInstance(entity, init.entity_id, delta))

    def _receive(self, what: str, apply: Callable[[], T]) -> T:
        """Take in a delta: one that does not fit the entity is the proxy's protocol violation (CRDT-018, FAIL-044)."""
        try:
            return apply()
        except ProtocolError as error:
            raise self.violation(f"{what}: {error}") from None
        except Exception as error:
            raise self.fail(crash_description(what, error)) from None

    async def _guard(self, what: str, work: Any, command_id: int = 0) -> list[crdt_pb2.CrdtStreamOut]:
        try:
            result: list[crdt_pb2.CrdtStreamOut] = await work
        except Exception as error:
            raise self.fail(crash_description(what, error), command_id) from None
        return result

    async def _command(self, instance: CrdtInstance, command: entity_pb2.Command) -> list[crdt_pb2.CrdtStreamOut]:
        payload, metadata = self.check_command(instance.entity, command)
        handling = instance.handle(command.id, command.name, payload, metadata, command.streamed)
        return await self.run(command, handling)
