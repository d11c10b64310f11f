"""A fake CRDT user function whose every command carries the reply it should get.

``package crdttest``::

    message Cmd { string id = 1 [(cloudstate.entity_key) = true];
                  bytes reply = 2;       // a serialized CrdtReply: what to answer (command_id is filled in)
                  string script = 3;     // "hold:NAME" wait for gate NAME; "crash"; "wrongid"; "noaction";
                                         // "mute": never answer the command's cancellation
                  bytes on_cancel = 4; } // a serialized CrdtStreamCancelledResponse for a cancellation
    message Out { string value = 1; }
    service Counter { rpc Do(Cmd) returns (Out); rpc Watch(Cmd) returns (stream Out); }

Without a client action in the template the fake answers ``Out{value}`` with
its own value (kept with the user-function rules: init, deltas received, its
own deltas), unless the script says ``noaction``. Every stream's inbound
messages are recorded, and a test can push any message onto a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cloudstate import crdt_pb2, crdt_pb2_grpc, entity_key_pb2, entity_pb2, entity_pb2_grpc
from cloudstate_proxy.crdt import InvalidDelta, Value, apply_value
from cloudstate_proxy.crdt.values import GCounterValue, ORSetValue, PNCounterValue
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, empty_pb2, message_factory

SERVICE = "crdttest.Counter"
CRDT_TYPE = "cloudstate.crdt.Crdt"
FDP = descriptor_pb2.FieldDescriptorProto


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(name="crdttest/test.proto", package="crdttest", syntax="proto3")
    proto.dependency.append("cloudstate/entity_key.proto")
    cmd = proto.message_type.add(name="Cmd")
    for name, number, kind in (("id", 1, FDP.TYPE_STRING), ("reply", 2, FDP.TYPE_BYTES),
                               ("script", 3, FDP.TYPE_STRING), ("on_cancel", 4, FDP.TYPE_BYTES)):  # fmt: skip
        field = cmd.field.add(name=name, number=number, type=kind, label=FDP.LABEL_OPTIONAL, json_name=name)
        if name == "id":
            field.options.Extensions[entity_key_pb2.entity_key] = True
    proto.message_type.add(name="Out").field.add(
        name="value", number=1, type=FDP.TYPE_STRING, label=FDP.LABEL_OPTIONAL, json_name="value"
    )
    service = proto.service.add(name="Counter")
    service.method.add(name="Do", input_type=".crdttest.Cmd", output_type=".crdttest.Out")
    service.method.add(name="Watch", input_type=".crdttest.Cmd", output_type=".crdttest.Out", server_streaming=True)
    return proto


def descriptor_set() -> bytes:
    key_file = descriptor_pb2.FileDescriptorProto()
    entity_key_pb2.DESCRIPTOR.CopyToProto(key_file)
    files = [descriptor_pb2.FileDescriptorProto.FromString(f) for f in _dependencies()] + [key_file, _file()]
    return descriptor_pb2.FileDescriptorSet(file=files).SerializeToString()


def _dependencies() -> list[bytes]:
    protos = []
    for dependency in entity_key_pb2.DESCRIPTOR.dependencies:
        proto = descriptor_pb2.FileDescriptorProto()
        dependency.CopyToProto(proto)
        protos.append(proto.SerializeToString())
    return protos


_pool = descriptor_pool.DescriptorPool()
for _proto in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set()).file:
    _pool.Add(_proto)
Cmd: Any = message_factory.GetMessageClass(_pool.FindMessageTypeByName("crdttest.Cmd"))
Out: Any = message_factory.GetMessageClass(_pool.FindMessageTypeByName("crdttest.Out"))


def entity_spec(passivation_ms: int = 0) -> entity_pb2.EntitySpec:
    entity = entity_pb2.Entity(entity_type=CRDT_TYPE, service_name=SERVICE, persistence_id="counters")
    if passivation_ms:
        entity.passivation_strategy.timeout.timeout = passivation_ms
    spec = entity_pb2.EntitySpec(proto=descriptor_set(), entities=[entity])
    spec.service_info.protocol_major_version, spec.service_info.protocol_minor_version = 0, 2
    return spec


def render(value: Value | None) -> str:
    match value:
        case GCounterValue(count) | PNCounterValue(count):
            return str(count)
        case ORSetValue(elements):
            return ",".join(sorted(e[1].decode() for e in elements))
    return repr(value)


class FakeStream:
    def __init__(self) -> None:
        self.inbound: list[crdt_pb2.CrdtStreamIn] = []
        self.value: Value | None = None
        self.completed = False  # the proxy half-closed and the fake completed its side
        self.cancel_templates: dict[int, bytes | None] = {}  # command id -> its cancellation's answer (None: none)
        self.out: asyncio.Queue[crdt_pb2.CrdtStreamOut | None] = asyncio.Queue()  # None: end the stream

    def kinds(self) -> list[str]:
        return [str(m.WhichOneof("message")) for m in self.inbound]

    def deltas(self) -> list[crdt_pb2.CrdtDelta]:
        return [m.delta for m in self.inbound if m.WhichOneof("message") == "delta"]

    def push(self, out: crdt_pb2.CrdtStreamOut | None) -> None:
        self.out.put_nowait(out)


class FakeCrdt(crdt_pb2_grpc.CrdtServicer):
    def __init__(self) -> None:
        self.streams: list[FakeStream] = []
        self.gates: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def gate(self, name: str) -> asyncio.Event:
        return self.gates.setdefault(name, asyncio.Event())

    async def handle(
        self, request_iterator: AsyncIterator[crdt_pb2.CrdtStreamIn], context: Any
    ) -> AsyncIterator[crdt_pb2.CrdtStreamOut]:
        stream = FakeStream()
        self.streams.append(stream)
        reader = asyncio.get_running_loop().create_task(self._read(stream, request_iterator))
        try:
            while (out := await stream.out.get()) is not None:
                yield out
        finally:
            reader.cancel()
        stream.completed = not reader.cancelled() and reader.done() and reader.exception() is None

    async def _read(self, stream: FakeStream, requests: AsyncIterator[crdt_pb2.CrdtStreamIn]) -> None:
        async for message in requests:
            stream.inbound.append(message)
            kind = message.WhichOneof("message")
            if kind == "init" and message.init.HasField("delta"):
                stream.value = apply_value(None, message.init.delta, own=False)
            elif kind == "delta":
                stream.value = apply_value(stream.value, message.delta, own=False)
            elif kind == "command":
                task = asyncio.get_running_loop().create_task(self._command(stream, message.command))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif kind == "stream_cancelled":
                self._cancelled(stream, message.stream_cancelled.id)
        await asyncio.sleep(0.05)  # let held answers out first
        stream.out.put_nowait(None)

    async def _command(self, stream: FakeStream, command: entity_pb2.Command) -> None:
        cmd = Cmd.FromString(command.payload.value)
        steps = [step.partition(":") for step in cmd.script.split(";") if step]
        for name, _, arg in steps:
            if name == "hold":
                await self.gate(arg).wait()
        if any(name == "crash" for name, _, _ in steps):
            stream.push(crdt_pb2.CrdtStreamOut(failure=entity_pb2.Failure(command_id=command.id, description="boom")))
            stream.push(None)
            return
        reply = crdt_pb2.CrdtReply.FromString(cmd.reply)
        reply.command_id = command.id + (100 if any(name == "wrongid" for name, _, _ in steps) else 0)
        if reply.state_action.HasField("update") and reply.client_action.WhichOneof("action") != "failure":
            with contextlib.suppress(InvalidDelta):  # deltas of the wrong type are sent on purpose
                stream.value = apply_value(stream.value, reply.state_action.update, own=True)
        if reply.client_action.WhichOneof("action") is None and not any(n == "noaction" for n, _, _ in steps):
            reply.client_action.reply.payload.CopyFrom(pack(Out(value=render(stream.value))))
        stream.cancel_templates[command.id] = None if any(n == "mute" for n, _, _ in steps) else cmd.on_cancel
        stream.push(crdt_pb2.CrdtStreamOut(reply=reply))

    def _cancelled(self, stream: FakeStream, command_id: int) -> None:
        template = stream.cancel_templates.get(command_id, b"")
        if template is None:
            return
        response = crdt_pb2.CrdtStreamCancelledResponse.FromString(template)
        response.command_id = command_id
        if response.state_action.HasField("update"):
            stream.value = apply_value(stream.value, response.state_action.update, own=True)
        stream.push(crdt_pb2.CrdtStreamOut(stream_cancelled_response=response))


class FakeDiscovery(entity_pb2_grpc.EntityDiscoveryServicer):
    def __init__(self, spec: entity_pb2.EntitySpec) -> None:
        self.spec = spec
        self.errors: list[str] = []

    async def discover(self, request: entity_pb2.ProxyInfo, context: Any) -> entity_pb2.EntitySpec:
        return self.spec

    async def reportError(self, request: entity_pb2.UserFunctionError, context: Any) -> empty_pb2.Empty:
        self.errors.append(request.message)
        return empty_pb2.Empty()


def pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed
