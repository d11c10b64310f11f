"""The ``cloudstate.eventsourced.EventSourced`` protocol: one stream per entity.

Anything that goes wrong on a stream (a malformed message from the proxy, a
handler that raises, an event that cannot be applied) ends that stream with a
stream-level failure; other streams are unaffected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from cloudstate import entity_pb2, event_sourced_pb2_grpc
from cloudstate import event_sourced_pb2 as es

from cloudstate_sdk._eventsourced_runtime import EventSourcedInstance
from cloudstate_sdk._streams import EntityStream, crash_description
from cloudstate_sdk.eventsourced import EventSourcedEntity
from cloudstate_sdk.payloads import unpack


class EventSourcedServicer(event_sourced_pb2_grpc.EventSourcedServicer):
    def __init__(self, entities: Mapping[str, EventSourcedEntity]) -> None:
        self._entities = dict(entities)

    async def handle(self, requests: Any, context: Any) -> AsyncIterator[es.EventSourcedStreamOut]:
        stream = _Stream(self._entities).serve(
            requests,
            lambda reply: es.EventSourcedStreamOut(reply=reply),
            lambda failure: es.EventSourcedStreamOut(failure=failure),
        )
        async for out in stream:
            yield out


class _Stream(EntityStream):
    """The state of one EventSourced.handle call."""

    kind = "event sourced entity"

    def __init__(self, entities: Mapping[str, EventSourcedEntity]) -> None:
        super().__init__()
        self._entities = entities
        self._instance: EventSourcedInstance | None = None
        self._commands_seen = False
        self._restarting = False

    @property
    def started(self) -> bool:
        return self._instance is not None

    def on_init(self, init: es.EventSourcedInit) -> None:
        entity = self._entities.get(init.service_name)
        if entity is None:
            raise self.violation(f"init names {init.service_name!r}, which is not served as an event sourced entity")
        self.service_name, self.entity_id = init.service_name, init.entity_id
        self._instance = instance = EventSourcedInstance(entity, init.entity_id)
        if init.HasField("snapshot"):
            sequence = init.snapshot.snapshot_sequence
            try:
                instance.restore(sequence, unpack(init.snapshot.snapshot, pool=entity.pool))
            except Exception as error:
                raise self.fail(crash_description(f"restoring the snapshot at sequence {sequence}", error)) from None

    def on_other(self, kind: str, message: es.EventSourcedStreamIn) -> None:
        if kind != "event" or self._instance is None:
            super().on_other(kind, message)
            return
        event = message.event
        if self._commands_seen:
            raise self.violation(f"received event {event.sequence} after a command")
        try:
            self._instance.replay(event.sequence, unpack(event.payload, pool=self._instance.entity.pool))
        except Exception as error:
            raise self.fail(crash_description(f"applying event {event.sequence}", error)) from None

    async def on_command(self, command: entity_pb2.Command) -> es.EventSourcedReply:
        assert self._instance is not None
        instance = self._instance
        self._commands_seen = True
        if self._restarting:
            raise self.violation(f"received command {command.id} after asking for a restart", command.id)
        payload, metadata = self.check_command(instance.entity, command)
        result = await self.run(command, instance.handle(command.id, command.name, payload, metadata))
        reply = es.EventSourcedReply(command_id=command.id, client_action=result.outcome.client_action())
        if result.outcome.failure is not None:
            reply.client_action.failure.command_id = command.id
            reply.client_action.failure.restart = result.restart
            self._restarting = result.restart
            return reply
        reply.side_effects.extend(effect.to_proto() for effect in result.outcome.effects)
        reply.events.extend(result.event_payloads)
        if result.snapshot_payload is not None:
            reply.snapshot.CopyFrom(result.snapshot_payload)
        return reply
