"""The ``cloudstate.valueentity.ValueEntity`` protocol: one stream per entity."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from cloudstate import entity_pb2, value_entity_pb2_grpc
from cloudstate import value_entity_pb2 as ve

from cloudstate_sdk._streams import EntityStream, crash_description
from cloudstate_sdk._valueentity_runtime import ValueEntityInstance
from cloudstate_sdk.valueentity import ValueEntity


class ValueEntityServicer(value_entity_pb2_grpc.ValueEntityServicer):
    def __init__(self, entities: Mapping[str, ValueEntity]) -> None:
        self._entities = dict(entities)

    async def handle(self, requests: Any, context: Any) -> AsyncIterator[ve.ValueEntityStreamOut]:
        stream = _Stream(self._entities).serve(
            requests,
            lambda reply: ve.ValueEntityStreamOut(reply=reply),
            lambda failure: ve.ValueEntityStreamOut(failure=failure),
        )
        async for out in stream:
            yield out


class _Stream(EntityStream):
    """The state of one ValueEntity.handle call."""

    kind = "value entity"

    def __init__(self, entities: Mapping[str, ValueEntity]) -> None:
        super().__init__()
        self._entities = entities
        self._instance: ValueEntityInstance | None = None

    @property
    def started(self) -> bool:
        return self._instance is not None

    def on_init(self, init: ve.ValueEntityInit) -> None:
        entity = self._entities.get(init.service_name)
        if entity is None:
            raise self.violation(f"init names {init.service_name!r}, which is not served as a value entity")
        self.service_name, self.entity_id = init.service_name, init.entity_id
        stored = init.state.value if init.HasField("state") and init.state.HasField("value") else None
        try:
            self._instance = ValueEntityInstance(entity, init.entity_id, stored)
        except Exception as error:
            raise self.fail(crash_description("loading the stored state", error)) from None

    async def on_command(self, command: entity_pb2.Command) -> ve.ValueEntityReply:
        assert self._instance is not None
        instance = self._instance
        payload, metadata = self.check_command(instance.entity, command)
        result = await self.run(command, instance.handle(command.id, command.name, payload, metadata))
        reply = ve.ValueEntityReply(command_id=command.id, client_action=result.outcome.client_action())
        if result.outcome.failure is not None:
            reply.client_action.failure.command_id = command.id
            return reply
        reply.side_effects.extend(effect.to_proto() for effect in result.outcome.effects)
        if result.state_action == "update" and result.value_payload is not None:
            reply.state_action.update.value.CopyFrom(result.value_payload)
        elif result.state_action == "delete":
            reply.state_action.delete.SetInParent()
        return reply
