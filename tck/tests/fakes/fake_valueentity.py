"""The fake's value-entity TCK model entities, with switchable defects.

Defects:
  ve-ignore-delete    a delete action does nothing
  ve-first-wins       the first update or delete of a command wins, not the last
  ve-no-rollback      a failed command's update stays in the state
  ve-command-id       replies carry command id + 1
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudstate import entity_pb2, value_entity_pb2, value_entity_pb2_grpc
from cloudstate.tck.model import valueentity_pb2 as model

from tck.tests.fakes.fake_common import command_problem, effect, failure, forward, pack, reply, unpack, violation

MODEL = "cloudstate.tck.model.valueentity.ValueEntityTckModel"
TWO = "cloudstate.tck.model.valueentity.ValueEntityTwo"
CONFIGURED = "cloudstate.tck.model.valueentity.ValueEntityConfigured"
METHODS = {MODEL: "Process", TWO: "Call", CONFIGURED: "Call"}

Out = value_entity_pb2.ValueEntityStreamOut


DEFECTS = frozenset({"ve-ignore-delete", "ve-first-wins", "ve-no-rollback", "ve-command-id"})


class Entity:
    def __init__(self, service: str, entity_id: str, state: str) -> None:
        self.service, self.entity_id, self.state = service, entity_id, state


class ValueEntity(value_entity_pb2_grpc.ValueEntityServicer):
    def __init__(self, defects: frozenset[str], restart: bool) -> None:
        self.defects, self.restart = defects, restart

    async def handle(
        self, request_iterator: AsyncIterator[value_entity_pb2.ValueEntityStreamIn], context: object
    ) -> AsyncIterator[Out]:
        entity: Entity | None = None
        async for message in request_iterator:
            kind = message.WhichOneof("message")
            if kind == "init":
                if entity is not None:
                    yield Out(failure=violation(0, "second init"))
                    return
                if message.init.service_name not in METHODS:
                    yield Out(failure=violation(0, f"unknown service {message.init.service_name}"))
                    return
                stored = model.Persisted()
                if message.init.state.HasField("value") and not unpack(message.init.state.value, stored):
                    yield Out(failure=entity_pb2.Failure(description="undecodable state"))
                    return
                entity = Entity(message.init.service_name, message.init.entity_id, stored.value)
            elif kind == "command":
                if entity is None:
                    yield Out(failure=violation(message.command.id, "expected init as the first message"))
                    return
                out = self._command(entity, message.command)
                yield out
                if out.HasField("failure"):
                    return
                if out.reply.client_action.failure.restart:
                    async for _ in request_iterator:
                        pass
                    return
            else:
                yield Out(failure=violation(0, "in message with nothing set"))
                return

    def _command(self, entity: Entity, command: entity_pb2.Command) -> Out:
        request = model.Request()
        problem = command_problem(command, entity.entity_id, METHODS[entity.service], request)
        if problem is not None:
            return Out(failure=problem)
        if entity.service != MODEL:
            return Out(
                reply=value_entity_pb2.ValueEntityReply(command_id=command.id, client_action=reply(model.Response()))
            )
        return Out(reply=self._process(entity, command.id, request))

    def _process(self, entity: Entity, command_id: int, request: model.Request) -> value_entity_pb2.ValueEntityReply:
        answer = value_entity_pb2.ValueEntityReply(command_id=command_id + ("ve-command-id" in self.defects))
        before = entity.state
        target: str | None = None
        chosen = False
        for action in request.actions:
            which = action.WhichOneof("action")
            if which in ("update", "delete") and not (chosen and "ve-first-wins" in self.defects):
                if which == "update":
                    chosen = True
                    entity.state = action.update.value
                    answer.state_action.update.value.CopyFrom(pack(model.Persisted(value=action.update.value)))
                elif "ve-ignore-delete" not in self.defects:
                    chosen = True
                    entity.state = ""
                    answer.state_action.delete.SetInParent()
            elif which == "forward":
                target = action.forward.id
            elif which == "effect":
                answer.side_effects.append(effect(TWO, model.Request(id=action.effect.id), action.effect.synchronous))
            elif which == "fail":
                if "ve-no-rollback" not in self.defects:
                    entity.state = before
                answer.ClearField("state_action")
                del answer.side_effects[:]
                answer.client_action.CopyFrom(failure(command_id, action.fail.message, self.restart))
                return answer
        if target is None:
            answer.client_action.CopyFrom(reply(model.Response(message=entity.state)))
        else:
            answer.client_action.CopyFrom(forward(TWO, "Call", model.Request(id=target)))
        return answer
