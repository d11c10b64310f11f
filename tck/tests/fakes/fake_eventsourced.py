"""The fake's event-sourced TCK model entities, with switchable defects.

Defects (each breaks one rule on purpose; the machines must notice):
  es-command-id       replies carry command id + 1
  es-empty-snapshot   a reply without events carries a snapshot
  es-snapshot-late    the snapshot rule looks at one event too far
  es-drop-effect      the last side effect of a reply is dropped
  es-no-rollback      a failed command's events stay in the state
  es-failure-events   a failure carries the events emitted before it
  es-forward-method   forwards name the method "Process" instead of "Call"
  es-ignore-snapshot  init's snapshot is ignored (state starts empty)
  es-lenient          commands before init are processed instead of failing the stream
  es-cached-state     an entity's state outlives its stream: a new stream of the same entity starts from it
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudstate import entity_pb2, event_sourced_pb2, event_sourced_pb2_grpc
from cloudstate.tck.model import eventsourced_pb2 as model

from tck.tests.fakes.fake_common import command_problem, effect, failure, forward, pack, reply, unpack, violation

MODEL = "cloudstate.tck.model.EventSourcedTckModel"
TWO = "cloudstate.tck.model.EventSourcedTwo"
CONFIGURED = "cloudstate.tck.model.EventSourcedConfigured"
METHODS = {MODEL: "Process", TWO: "Call", CONFIGURED: "Call"}

Out = event_sourced_pb2.EventSourcedStreamOut


DEFECTS = frozenset(
    {
        "es-command-id",
        "es-empty-snapshot",
        "es-snapshot-late",
        "es-drop-effect",
        "es-no-rollback",
        "es-failure-events",
        "es-forward-method",
        "es-ignore-snapshot",
        "es-lenient",
        "es-cached-state",
    }
)


class Entity:
    def __init__(self, service: str, entity_id: str) -> None:
        self.service, self.entity_id = service, entity_id
        self.state, self.sequence = "", 0


class EventSourced(event_sourced_pb2_grpc.EventSourcedServicer):
    def __init__(self, defects: frozenset[str], restart: bool) -> None:
        self.defects, self.restart = defects, restart
        self.cache: dict[tuple[str, str], Entity] = {}  # used by es-cached-state only

    async def handle(
        self, request_iterator: AsyncIterator[event_sourced_pb2.EventSourcedStreamIn], context: object
    ) -> AsyncIterator[Out]:
        entity: Entity | None = None
        commands = 0
        async for message in request_iterator:
            kind = message.WhichOneof("message")
            problem: entity_pb2.Failure | None = None
            if kind == "init":
                entity, problem = self._init(entity, message.init)
            elif kind == "event":
                if entity is None or commands:
                    problem = violation(0, "event outside replay")
                else:
                    problem = self._replay(entity, message.event)
            elif kind == "command":
                commands += 1
                if entity is None and "es-lenient" in self.defects:
                    entity = Entity(MODEL, message.command.entity_id)
                if entity is None:
                    problem = violation(message.command.id, "expected init as the first message")
                else:
                    out = self._command(entity, message.command)
                    yield out
                    if out.HasField("failure"):
                        return
                    if out.reply.client_action.failure.restart:
                        async for _ in request_iterator:  # take no further command (ES-048)
                            pass
                        return
            else:
                problem = violation(0, "in message with nothing set")
            if problem is not None:
                yield Out(failure=problem)
                return

    def _init(
        self, entity: Entity | None, init: event_sourced_pb2.EventSourcedInit
    ) -> tuple[Entity | None, entity_pb2.Failure | None]:
        if entity is not None:
            return entity, violation(0, "second init")
        if init.service_name not in METHODS:
            return None, violation(0, f"unknown service {init.service_name}")
        entity = Entity(init.service_name, init.entity_id)
        if "es-cached-state" in self.defects:
            entity = self.cache.setdefault((init.service_name, init.entity_id), entity)
        if init.HasField("snapshot"):
            snapshot = model.Persisted()
            if not unpack(init.snapshot.snapshot, snapshot):
                return entity, entity_pb2.Failure(description="undecodable snapshot")
            entity.state = "" if "es-ignore-snapshot" in self.defects else snapshot.value
            entity.sequence = init.snapshot.snapshot_sequence
        return entity, None

    def _replay(self, entity: Entity, event: event_sourced_pb2.EventSourcedEvent) -> entity_pb2.Failure | None:
        persisted = model.Persisted()
        if not unpack(event.payload, persisted):
            return entity_pb2.Failure(description=f"undecodable event {event.sequence}")
        entity.state += persisted.value
        entity.sequence = event.sequence
        return None

    def _command(self, entity: Entity, command: entity_pb2.Command) -> Out:
        request = model.Request()
        problem = command_problem(command, entity.entity_id, METHODS[entity.service], request)
        if problem is not None:
            return Out(failure=problem)
        if entity.service != MODEL:
            return Out(
                reply=event_sourced_pb2.EventSourcedReply(command_id=command.id, client_action=reply(model.Response()))
            )
        return Out(reply=self._process(entity, command.id, request))

    def _process(self, entity: Entity, command_id: int, request: model.Request) -> event_sourced_pb2.EventSourcedReply:
        answer = event_sourced_pb2.EventSourcedReply(command_id=command_id + ("es-command-id" in self.defects))
        before = (entity.state, entity.sequence)
        target: str | None = None
        for action in request.actions:
            which = action.WhichOneof("action")
            if which == "emit":
                answer.events.append(pack(model.Persisted(value=action.emit.value)))
                entity.state += action.emit.value
                entity.sequence += 1
            elif which == "forward":
                target = action.forward.id
            elif which == "effect":
                answer.side_effects.append(effect(TWO, model.Request(id=action.effect.id), action.effect.synchronous))
            elif which == "fail":
                if "es-no-rollback" not in self.defects:
                    entity.state, entity.sequence = before
                if "es-failure-events" not in self.defects:
                    del answer.events[:]
                del answer.side_effects[:]
                answer.client_action.CopyFrom(failure(command_id, action.fail.message, self.restart))
                return answer
        first = before[1] + 1 + ("es-snapshot-late" in self.defects)
        if any(n % 5 == 0 for n in range(first, entity.sequence + 1)) or (
            not answer.events and "es-empty-snapshot" in self.defects
        ):
            answer.snapshot.CopyFrom(pack(model.Persisted(value=entity.state)))
        if "es-drop-effect" in self.defects and answer.side_effects:
            del answer.side_effects[-1]
        if target is None:
            answer.client_action.CopyFrom(reply(model.Response(message=entity.state)))
        else:
            method = "Process" if "es-forward-method" in self.defects else "Call"
            answer.client_action.CopyFrom(forward(TWO, method, model.Request(id=target)))
        return answer
