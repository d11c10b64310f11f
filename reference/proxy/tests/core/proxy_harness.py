"""Running the proxy in-process in front of the fake user function, with real gRPC on free ports."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from cloudstate import action_pb2_grpc, entity_pb2, entity_pb2_grpc, event_sourced_pb2_grpc, value_entity_pb2_grpc
from cloudstate_proxy import Proxy, Settings
from cloudstate_proxy.stores import Store
from cloudstate_proxy.stores.memory import MemoryStore
from fake_actions import FakeActions
from fake_entities import FakeDiscovery, FakeEventSourced, FakeValueEntity, wait_until
from fake_protos import Cmd, State, entity_spec
from flaky_store import FlakyStore
from google.protobuf import message

__all__ = [
    "Env",
    "FlakyStore",
    "UserFunction",
    "failure",
    "free_port",
    "launched",
    "running",
    "start_user_function",
    "wait_until",
]


@dataclasses.dataclass
class UserFunction:
    server: grpc.aio.Server
    port: int
    discovery: FakeDiscovery
    es: FakeEventSourced
    ve: FakeValueEntity
    actions: FakeActions


async def start_user_function(spec: entity_pb2.EntitySpec, port: int = 0) -> UserFunction:
    server = grpc.aio.server()
    uf = UserFunction(server, 0, FakeDiscovery(spec), FakeEventSourced(), FakeValueEntity(), FakeActions())
    entity_pb2_grpc.add_EntityDiscoveryServicer_to_server(uf.discovery, server)
    event_sourced_pb2_grpc.add_EventSourcedServicer_to_server(uf.es, server)
    value_entity_pb2_grpc.add_ValueEntityServicer_to_server(uf.ve, server)
    action_pb2_grpc.add_ActionProtocolServicer_to_server(uf.actions, server)
    uf.port = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return uf


def _serialize(msg: message.Message) -> bytes:
    return msg.SerializeToString()


@dataclasses.dataclass
class Env:
    uf: UserFunction
    proxy: Proxy
    store: Store
    channel: grpc.aio.Channel

    def unary(self, path: str) -> Any:
        return self.channel.unary_unary(path, request_serializer=_serialize, response_deserializer=State.FromString)

    def stream_unary(self, path: str) -> Any:
        return self.channel.stream_unary(path, request_serializer=_serialize, response_deserializer=State.FromString)

    def unary_stream(self, path: str) -> Any:
        return self.channel.unary_stream(path, request_serializer=_serialize, response_deserializer=State.FromString)

    def stream_stream(self, path: str) -> Any:
        return self.channel.stream_stream(path, request_serializer=_serialize, response_deserializer=State.FromString)

    async def do(self, path: str, entity_id: str, script: str = "", metadata: Sequence[tuple[str, str]] = ()) -> Any:
        """Call a unary method with Cmd{id, script} and return the State it answers."""
        return await self.unary(path)(Cmd(id=entity_id, script=script), metadata=tuple(metadata) or None)


def settings(uf_port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "user_function_port": uf_port,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "management_port": 0,
        "metrics_port": 0,
        "discovery_backoff_min": 0.02,
        "discovery_backoff_max": 0.1,
        "relay_timeout": 5.0,
        "shutdown_grace": 2.0,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def running(
    spec: entity_pb2.EntitySpec | None = None, store: Store | None = None, **overrides: Any
) -> AsyncIterator[Env]:
    """The fake user function and a proxy in front of it, serving; a client channel to the public port."""
    uf = await start_user_function(spec or entity_spec())
    store = store or MemoryStore()
    proxy = Proxy(settings(uf.port, **overrides), store=store)
    await proxy.start()
    channel = None
    try:
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert proxy.serving is not None, f"discovery failed: {proxy.discovery_error}"
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{proxy.serving.http_port}")
        yield Env(uf, proxy, store, channel)
    finally:
        if channel is not None:
            await channel.close()
        await proxy.stop()
        await uf.server.stop(0)


async def failure(call: Any) -> tuple[grpc.StatusCode, str]:
    """The status a call fails with (the test fails if it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    raise AssertionError("the call succeeded")


@contextlib.asynccontextmanager
async def launched(
    spec: entity_pb2.EntitySpec | None = None, uf_port: int | None = None, **overrides: Any
) -> AsyncIterator[tuple[UserFunction | None, Proxy]]:
    """A started proxy (serving or not), with the fake user function unless ``uf_port`` points elsewhere."""
    uf = None if uf_port is not None else await start_user_function(spec or entity_spec())
    proxy = Proxy(settings(uf.port if uf else uf_port or 0, **overrides), store=MemoryStore())
    await proxy.start()
    try:
        yield uf, proxy
    finally:
        await proxy.stop()
        if uf is not None:
            await uf.server.stop(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
