"""The reference SDK's TCK model (``python -m cloudstate_sdk.tck_model``) behind in-process proxies.

The model runs as a subprocess, once per test module; each test starts its
own proxies in front of it (one user function may serve several proxies: it
keeps each entity per stream). Requests are the CRDT model's scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import pytest
from cloudstate.tck.model import crdt_pb2 as pb
from cloudstate_proxy import Proxy
from cloudstate_proxy.engines.crdt import CrdtEngine
from cloudstate_proxy.stores import Store, open_store
from cloudstate_proxy.testing import UserFunctionProcess
from crdt_harness import settings

MODEL = "cloudstate.tck.model.crdt.CrdtTckModel"

needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_sdk") is None, reason="the reference SDK (reference/sdk) is not installed"
)


def tck_model() -> Iterator[int]:
    """The TCK model's port (a module fixture: ``pytest.fixture(tck_model, scope="module")``)."""
    process = UserFunctionProcess("cloudstate_sdk.tck_model")
    process.start()
    try:
        yield process.port
    finally:
        process.cleanup()


def upd(**kind: Any) -> pb.RequestAction:
    return pb.RequestAction(update=pb.Update(**kind))


def inc(n: int, consistency: int = pb.LOCAL) -> pb.RequestAction:
    return pb.RequestAction(update=pb.Update(pncounter=pb.PNCounterUpdate(change=n), write_consistency=consistency))  # type: ignore[arg-type]


def add(element: str) -> pb.RequestAction:
    return upd(orset=pb.ORSetUpdate(add=element))


class Client:
    def __init__(self, proxy: Proxy) -> None:
        assert proxy.serving is not None
        self.proxy = proxy
        self.port = proxy.serving.http_port
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.port}")
        self._process = self.channel.unary_unary(
            f"/{MODEL}/Process", pb.Request.SerializeToString, pb.Response.FromString
        )
        self._streamed = self.channel.unary_stream(
            f"/{MODEL}/ProcessStreamed", pb.StreamedRequest.SerializeToString, pb.Response.FromString
        )

    @property
    def engine(self) -> CrdtEngine:
        assert self.proxy.serving is not None
        engine = self.proxy.serving.engines[MODEL]
        assert isinstance(engine, CrdtEngine)
        return engine

    async def process(self, entity_id: str, *actions: pb.RequestAction) -> pb.State:
        response: pb.Response = await self._process(pb.Request(id=entity_id, actions=actions))
        return response.state

    def streamed(self, request: pb.StreamedRequest) -> Any:
        return self._streamed(request)


async def eventually(condition: Callable[[], Any], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def proxy_client(port: int, store: str | Store = "memory", **overrides: Any) -> AsyncIterator[Client]:
    """A serving proxy in front of the model on ``port``, with ``store`` (a URL or a store), and a client."""
    options = {"discovery_backoff_min": 0.05, "discovery_backoff_max": 0.2, **overrides}
    proxy = Proxy(settings(port, **options), store=open_store(store) if isinstance(store, str) else store)
    await proxy.start()
    client = None
    try:
        await asyncio.wait_for(proxy.wait_started(), 60)
        assert proxy.serving is not None, proxy.discovery_error
        client = Client(proxy)
        yield client
    finally:
        if client is not None:
            await client.channel.close()
        await proxy.stop()
