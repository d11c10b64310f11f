"""The fake's CRDT TCK model entities (CrdtTckModel, CrdtTwo, CrdtConfigured), correct unless a defect is chosen.

One :class:`Entity` per stream holds the value and the open streamed calls.
:class:`Crdt` handles each message of the stream in turn and returns every
message it answers with; the broken variants (fake_crdt_broken) subclass it
or the CRDT classes and change one thing each.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

from cloudstate import crdt_pb2 as c
from cloudstate import crdt_pb2_grpc, entity_pb2
from cloudstate.tck.model import crdt_pb2 as m

from tck.tests.fakes.fake_common import command_problem, effect, failure, forward, reply
from tck.tests.fakes.fake_crdt_entity import Entity, deleting, notify, updating
from tck.tests.fakes.fake_crdt_map import created, received
from tck.tests.fakes.fake_crdt_values import BadDelta
from tck.tests.fakes.fake_crdt_values import Crdt as Value

MODEL = "cloudstate.tck.model.crdt.CrdtTckModel"
TWO = "cloudstate.tck.model.crdt.CrdtTwo"
CONFIGURED = "cloudstate.tck.model.crdt.CrdtConfigured"
Out = c.CrdtStreamOut


class Crdt(crdt_pb2_grpc.CrdtServicer):
    async def handle(self, request_iterator: AsyncIterator[c.CrdtStreamIn], context: object) -> AsyncIterator[Out]:
        entity: Entity | None = None
        async for message in request_iterator:
            try:
                if message.WhichOneof("message") == "init" and entity is None:
                    entity = self.init(message.init)
                    continue
                if entity is None:
                    raise BadDelta("protocol violation: the stream did not start with init")
                answers = self.answer(entity, message)
            except BadDelta as problem:
                yield Out(failure=entity_pb2.Failure(description=str(problem)))
                return
            for answer in answers:
                yield answer

    def init(self, init: c.CrdtInit) -> Entity:
        if init.service_name not in (MODEL, TWO, CONFIGURED):
            raise BadDelta(f"protocol violation: no service {init.service_name}")
        entity = Entity(init.service_name, init.entity_id)
        if init.HasField("delta"):
            entity.value = received(init.entity_id, init.delta)
        return entity

    def answer(self, entity: Entity, message: c.CrdtStreamIn) -> list[Out]:
        match message.WhichOneof("message"):
            case "command":
                return self.command(entity, message.command)
            case "delta":
                return self.receive(entity, message.delta)
            case "stream_cancelled":
                return self.cancel(entity, message.stream_cancelled.id)
            case "delete":
                entity.value, entity.calls = None, {}
                return []
        raise BadDelta(f"protocol violation: unexpected {message.WhichOneof('message')}")

    def receive(self, entity: Entity, delta: c.CrdtDelta) -> list[Out]:
        if entity.value is None:
            entity.value = received(entity.entity_id, delta)
        else:
            entity.value.receive(delta)
        return self.notify(entity)

    def command(self, entity: Entity, command: entity_pb2.Command) -> list[Out]:
        if entity.service != MODEL:
            request = m.Request()
            if (problem := command_problem(command, entity.entity_id, "Call", request)) is not None:
                return [Out(failure=problem)]
            answer = c.CrdtReply(command_id=command.id, client_action=reply(m.Response()))
            if entity.service == TWO and any(a.HasField("delete") for a in request.actions):
                answer.state_action.CopyFrom(deleting(0))
            return [Out(reply=answer)]
        if command.name == "ProcessStreamed":
            streamed = m.StreamedRequest()
            if (problem := command_problem(command, entity.entity_id, "ProcessStreamed", streamed)) is not None:
                return [Out(failure=problem)]
            return self.process_streamed(entity, command.id, streamed)
        request = m.Request()
        if (problem := command_problem(command, entity.entity_id, "Process", request)) is not None:
            return [Out(failure=problem)]
        return self.process(entity, command.id, request)

    def process(self, entity: Entity, command_id: int, request: m.Request) -> list[Out]:
        before = copy.deepcopy(entity.value)
        value = entity.value = entity.value or created(entity.entity_id)
        answer = c.CrdtReply(command_id=command_id)
        level, delete, target = 0, False, None
        for action in request.actions:
            match action.WhichOneof("action"):
                case "update":
                    value.update(action.update)
                    level = action.update.write_consistency
                case "delete":
                    delete = True
                case "forward":
                    target = action.forward.id
                case "effect":
                    answer.side_effects.append(effect(TWO, m.Request(id=action.effect.id), action.effect.synchronous))
                case "fail":
                    entity.value = before
                    return [
                        Out(
                            reply=c.CrdtReply(
                                command_id=command_id, client_action=failure(command_id, action.fail.message)
                            )
                        )
                    ]
        state = value.state()
        answer.client_action.CopyFrom(
            forward(TWO, "Call", m.Request(id=target)) if target is not None else reply(m.Response(state=state))
        )
        if delete:
            answer.state_action.CopyFrom(deleting(level))
            return [Out(reply=answer)]
        return self.changed(entity, value, level, Out(reply=answer))

    def changed(self, entity: Entity, value: Value, level: int, out: Out) -> list[Out]:
        """Send the recorded changes with ``out``; when there were any, the open calls hear of them after it."""
        delta = value.delta()
        value.reset()
        if delta is not None:
            part = out.reply if out.HasField("reply") else out.stream_cancelled_response
            part.state_action.CopyFrom(updating(delta, level))
        return [out, *self.notify(entity)] if delta is not None else [out]

    def process_streamed(self, entity: Entity, command_id: int, request: m.StreamedRequest) -> list[Out]:
        value = entity.value = entity.value or created(entity.entity_id)
        level = 0
        if request.HasField("initial_update"):
            value.update(request.initial_update)
            level = request.initial_update.write_consistency
        answer = c.CrdtReply(command_id=command_id, streamed=True)
        if not request.empty:
            answer.client_action.CopyFrom(reply(m.Response(state=value.state())))
        answers = self.changed(entity, value, level, Out(reply=answer))
        entity.calls[command_id] = request
        return answers

    def cancel(self, entity: Entity, command_id: int) -> list[Out]:
        request = entity.calls.pop(command_id, m.StreamedRequest())
        response = Out(stream_cancelled_response=c.CrdtStreamCancelledResponse(command_id=command_id))
        if entity.value is None or not request.HasField("cancel_update"):
            return [response]
        entity.value.update(request.cancel_update)
        return self.changed(entity, entity.value, request.cancel_update.write_consistency, response)

    def notify(self, entity: Entity) -> list[Out]:
        return notify(entity)
