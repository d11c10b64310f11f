"""A fake user function, built on the generated servicer base classes, that does what ``Cmd.script`` says.

Every entity stream's inbound messages are recorded (``streams``), as are
discovery calls and reportError messages, so tests can check exactly what
the proxy sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from cloudstate import (
    entity_pb2,
    entity_pb2_grpc,
    event_sourced_pb2,
    event_sourced_pb2_grpc,
    value_entity_pb2,
    value_entity_pb2_grpc,
)
from fake_protos import Cmd, State, pack
from fake_script import Script, client_action, side_effects
from google.protobuf import empty_pb2

Context = Any


async def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll until ``condition()`` is truthy (fails the test after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


class FakeDiscovery(entity_pb2_grpc.EntityDiscoveryServicer):
    def __init__(self, spec: entity_pb2.EntitySpec) -> None:
        self.spec = spec
        self.infos: list[entity_pb2.ProxyInfo] = []
        self.errors: list[str] = []

    async def discover(self, request: entity_pb2.ProxyInfo, context: Context) -> entity_pb2.EntitySpec:
        self.infos.append(request)
        return self.spec

    async def reportError(self, request: entity_pb2.UserFunctionError, context: Context) -> empty_pb2.Empty:
        self.errors.append(request.message)
        return empty_pb2.Empty()

    def reported(self, text: str) -> bool:
        return any(text in error for error in self.errors)


class _Streams:
    def __init__(self) -> None:
        self.streams: list[list[Any]] = []  # inbound messages, one list per stream
        self.completed = 0  # streams the proxy half-closed and the fake then completed

    def commands(self, stream: int = -1) -> list[entity_pb2.Command]:
        return [m.command for m in self.streams[stream] if m.WhichOneof("message") == "command"]

    def entity_streams(self, entity_id: str) -> list[list[Any]]:
        return [s for s in self.streams if s and s[0].init.entity_id == entity_id]


class FakeEventSourced(event_sourced_pb2_grpc.EventSourcedServicer, _Streams):
    def __init__(self) -> None:
        _Streams.__init__(self)

    async def handle(
        self, request_iterator: AsyncIterator[event_sourced_pb2.EventSourcedStreamIn], context: Context
    ) -> AsyncIterator[event_sourced_pb2.EventSourcedStreamOut]:
        inbound: list[Any] = []
        self.streams.append(inbound)
        state = ""
        async for msg in request_iterator:
            inbound.append(msg)
            which = msg.WhichOneof("message")
            # The entity "eager" answers its first init with a reply, before any command (a violation).
            if which == "init" and msg.init.entity_id == "eager" and len(self.entity_streams("eager")) == 1:
                reply = event_sourced_pb2.EventSourcedReply(command_id=7)  # a reply nobody asked for
                reply.client_action.reply.SetInParent()
                yield event_sourced_pb2.EventSourcedStreamOut(reply=reply)
            if which == "init" and msg.init.HasField("snapshot"):
                state = State.FromString(msg.init.snapshot.snapshot.value).value
            elif which == "event":
                state += State.FromString(msg.event.payload.value).value
            elif which == "command":
                command = msg.command
                script = Script.parse(Cmd.FromString(command.payload.value).script)
                await asyncio.sleep(script.sleep)
                if (text := script.arg("crash")) is not None:
                    failure = entity_pb2.Failure(command_id=command.id, description=text)
                    yield event_sourced_pb2.EventSourcedStreamOut(failure=failure)
                    return
                if script.has("end"):
                    return
                if script.has("unset"):
                    yield event_sourced_pb2.EventSourcedStreamOut()  # the message one-of unset
                    continue
                emitted = script.args("emit")
                after = state + "".join(emitted)
                reply = event_sourced_pb2.EventSourcedReply(
                    command_id=command.id + (100 if script.has("wrongid") else 0),
                    client_action=client_action(script, after, command.id, command.metadata),
                    side_effects=side_effects(script),
                    events=[pack(State(value=v)) for v in emitted],
                )
                if script.has("snap") or script.has("snaponly"):
                    reply.snapshot.CopyFrom(pack(State(value=after)))
                if reply.client_action.WhichOneof("action") != "failure":
                    state = after  # a failing command leaves the state as it was (rolled back)
                for _ in range(2 if script.has("twice") else 1):
                    yield event_sourced_pb2.EventSourcedStreamOut(reply=reply)
        self.completed += 1


class FakeValueEntity(value_entity_pb2_grpc.ValueEntityServicer, _Streams):
    def __init__(self) -> None:
        _Streams.__init__(self)

    async def handle(
        self, request_iterator: AsyncIterator[value_entity_pb2.ValueEntityStreamIn], context: Context
    ) -> AsyncIterator[value_entity_pb2.ValueEntityStreamOut]:
        inbound: list[Any] = []
        self.streams.append(inbound)
        state = ""
        async for msg in request_iterator:
            inbound.append(msg)
            if msg.WhichOneof("message") == "init":
                if msg.init.state.HasField("value"):
                    state = State.FromString(msg.init.state.value.value).value
                continue
            command = msg.command
            keys_only = command.name == "Keys"  # Keys(Multi) answers with the entity id it was sent to
            script = Script.parse("" if keys_only else Cmd.FromString(command.payload.value).script)
            await asyncio.sleep(script.sleep)
            if (text := script.arg("crash")) is not None:
                failure = entity_pb2.Failure(command_id=command.id, description=text)
                yield value_entity_pb2.ValueEntityStreamOut(failure=failure)
                return
            after, reply = state, value_entity_pb2.ValueEntityReply(command_id=command.id)
            for name, arg in script.steps:
                if name == "update":
                    after = arg
                    reply.state_action.update.value.CopyFrom(pack(State(value=arg)))
                elif name == "delete":
                    after = ""
                    reply.state_action.delete.SetInParent()
            reply.client_action.CopyFrom(
                client_action(script, command.entity_id if keys_only else after, command.id, command.metadata)
            )
            reply.side_effects.extend(side_effects(script))
            if reply.client_action.WhichOneof("action") != "failure":
                state = after
            yield value_entity_pb2.ValueEntityStreamOut(reply=reply)
        self.completed += 1
