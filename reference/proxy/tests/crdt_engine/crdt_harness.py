"""The proxy in-process in front of the fake CRDT user function, with real gRPC on free ports.

A *remote* change is what another replica would write: the test merges a
state written under another replica id into the store and then tells the
engine, exactly as the replication does when a change notice arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
from cloudstate import crdt_pb2, crdt_pb2_grpc, entity_pb2_grpc
from cloudstate_proxy import Proxy, Settings
from cloudstate_proxy.crdt import TOMBSTONE, Tombstone, apply_delta, value_of
from cloudstate_proxy.crdt.values import GCounterValue, PNCounterValue
from cloudstate_proxy.engines.crdt import CrdtEngine
from cloudstate_proxy.stores import Store
from cloudstate_proxy.stores.memory import MemoryStore
from crdt_fake import SERVICE, Cmd, FakeCrdt, FakeDiscovery, FakeStream, Out, entity_spec
from google.protobuf import any_pb2

PID = "counters"


def element(text: str) -> any_pb2.Any:
    return any_pb2.Any(type_url="type.test/E", value=text.encode())


def gcounter(n: int) -> crdt_pb2.CrdtDelta:
    return crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=n))


def pncounter(n: int) -> crdt_pb2.CrdtDelta:
    return crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=n))


def orset(added: Sequence[str] = (), removed: Sequence[str] = ()) -> crdt_pb2.CrdtDelta:
    delta = crdt_pb2.ORSetDelta(added=[element(e) for e in added], removed=[element(e) for e in removed])
    return crdt_pb2.CrdtDelta(orset=delta)


def update(delta: crdt_pb2.CrdtDelta, consistency: int = crdt_pb2.LOCAL, **fields: Any) -> crdt_pb2.CrdtReply:
    action = crdt_pb2.CrdtStateAction(update=delta, write_consistency=consistency)  # type: ignore[arg-type]
    return crdt_pb2.CrdtReply(state_action=action, **fields)


def deletion() -> crdt_pb2.CrdtReply:
    return crdt_pb2.CrdtReply(state_action=crdt_pb2.CrdtStateAction(delete=crdt_pb2.CrdtDelete()))


async def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def failure(call: Any) -> tuple[grpc.StatusCode, str]:
    """The status a unary or streamed call fails with (the test fails if it succeeds)."""
    try:
        if isinstance(call, grpc.aio.UnaryStreamCall):
            while await call.read() is not grpc.aio.EOF:
                pass
        else:
            await call
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    raise AssertionError("the call succeeded")


@dataclasses.dataclass
class Env:
    uf: FakeCrdt
    discovery: FakeDiscovery
    proxy: Proxy
    store: Store
    channel: grpc.aio.Channel

    @property
    def engine(self) -> CrdtEngine:
        assert self.proxy.serving is not None
        engine = self.proxy.serving.engines[SERVICE]
        assert isinstance(engine, CrdtEngine)
        return engine

    def do(self, entity_id: str, reply: crdt_pb2.CrdtReply | None = None, script: str = "", **more: Any) -> Any:
        """Call Do; the fake answers with ``reply`` (its own value when the reply has no client action)."""
        method = self.channel.unary_unary(f"/{SERVICE}/Do", Cmd.SerializeToString, Out.FromString)
        return method(self._cmd(entity_id, reply, script, **more))

    def watch(self, entity_id: str, reply: crdt_pb2.CrdtReply | None = None, script: str = "", **more: Any) -> Any:
        """Call the server-streaming Watch (a streamed command)."""
        method = self.channel.unary_stream(f"/{SERVICE}/Watch", Cmd.SerializeToString, Out.FromString)
        return method(self._cmd(entity_id, reply, script, **more))

    @staticmethod
    def _cmd(entity_id: str, reply: crdt_pb2.CrdtReply | None, script: str, **more: Any) -> Any:
        cmd = Cmd(id=entity_id, reply=(reply or crdt_pb2.CrdtReply()).SerializeToString(), script=script)
        if (on_cancel := more.get("on_cancel")) is not None:
            cmd.on_cancel = on_cancel.SerializeToString()
        return cmd

    async def count(self, entity_id: str) -> int:
        """The stored value of a counter entity."""
        stored = await self.store.crdts.load(PID, entity_id)
        assert stored is not None
        assert not isinstance(stored.state, Tombstone)
        value = value_of(stored.state, "reader")
        assert isinstance(value, GCounterValue | PNCounterValue)
        return value.count

    def streams(self, entity_id: str) -> list[FakeStream]:
        return [s for s in self.uf.streams if s.inbound and s.inbound[0].init.entity_id == entity_id]

    async def remote(
        self, entity_id: str, delta: crdt_pb2.CrdtDelta | None, replica: str = "elsewhere", fresh: bool = False
    ) -> None:
        """Another replica writes ``delta`` (None: deletes the entity); this proxy hears of it.

        ``fresh``: the other replica had not seen the entity yet (it creates it concurrently).
        """
        stored = None if fresh else await self.store.crdts.load(PID, entity_id)
        base = stored.state if stored is not None and not isinstance(stored.state, Tombstone) else None
        state = TOMBSTONE if delta is None else apply_delta(base, replica, delta, 0)
        await self.store.crdts.merge_and_save(PID, entity_id, state, replica)
        await self.engine.remote_change(entity_id)


def settings(uf_port: int, **overrides: Any) -> Settings:
    """Settings for a proxy in a test: loopback, free ports, short delays, a quick CRDT heartbeat."""
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
        "crdt_heartbeat_interval": 0.1,
        "crdt_liveness_window": 1.0,
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def running(store: Store | None = None, passivation_ms: int = 0, **overrides: Any) -> AsyncIterator[Env]:
    """The fake user function and a proxy in front of it, serving; a client channel to the public port."""
    server = grpc.aio.server()
    uf, discovery = FakeCrdt(), FakeDiscovery(entity_spec(passivation_ms))
    crdt_pb2_grpc.add_CrdtServicer_to_server(uf, server)
    entity_pb2_grpc.add_EntityDiscoveryServicer_to_server(discovery, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    store = store or MemoryStore()
    proxy = Proxy(settings(port, **overrides), store=store)
    await proxy.start()
    channel = None
    try:
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert proxy.serving is not None, f"discovery failed: {proxy.discovery_error}"
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{proxy.serving.http_port}")
        yield Env(uf, discovery, proxy, store, channel)
    finally:
        for gate in uf.gates.values():
            gate.set()
        if channel is not None:
            await channel.close()
        await proxy.stop()
        await server.stop(0)
