"""The proxy in-process in front of a user function subprocess, with real gRPC and HTTP/JSON clients.

:func:`serving` starts a :class:`~cloudstate_proxy.Proxy` on free ports with a
store given by URL (``memory://`` or a PostgreSQL DSN), waits until it serves,
and yields a :class:`Served` with a gRPC channel and an aiohttp session on the
public port. Calls go through the generic channel methods (``unary_unary`` with
a path), exactly as a client that only has the method's name would make them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import grpc
from cloudstate_proxy import Proxy, Settings
from cloudstate_proxy.stores import Store
from google.protobuf import any_pb2, message

M = TypeVar("M", bound=message.Message)
T = TypeVar("T")

__all__ = [
    "Client",
    "HttpAnswer",
    "Served",
    "client",
    "grpc_failure",
    "serving",
    "stored_events",
    "stored_value",
    "unless_unavailable",
    "until",
]


@dataclasses.dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclasses.dataclass
class Client:
    """A gRPC channel and an HTTP session on a proxy's public port."""

    channel: grpc.aio.Channel
    http: aiohttp.ClientSession

    async def call(self, path: str, request: message.Message, response_type: type[M]) -> M:
        """A unary gRPC call of ``/<service>/<method>``."""
        method = self.channel.unary_unary(path, request_serializer=_serialize, response_deserializer=_raw)
        data: bytes = await method(request)
        return response_type.FromString(data)

    async def request(self, verb: str, path: str, **kwargs: Any) -> HttpAnswer:
        """An HTTP/JSON request to the public port; ``kwargs`` as for aiohttp (``json=``, ``data=``, ``headers=``)."""
        async with self.http.request(verb, path, **kwargs) as response:
            return HttpAnswer(response.status, response.content_type, await response.text())


@contextlib.asynccontextmanager
async def client(port: int) -> AsyncIterator[Client]:
    """Clients for the public port of a proxy on this machine (in-process or not)."""
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel,
        aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        yield Client(channel, http)


@dataclasses.dataclass
class Served(Client):
    """A client of an in-process proxy, with access to the proxy."""

    proxy: Proxy

    @property
    def store(self) -> Store:
        return self.proxy.store

    async def received(self, service: str, method: str, count: int) -> None:
        """Until the proxy has received ``count`` calls of a method, and handed the last one to its engine."""

        async def counted() -> bool:
            labels = {"service": service, "method": method}
            value = self.proxy.metrics.registry.get_sample_value("cloudstate_commands_received_total", labels)
            return (value or 0) >= count

        await until(counted, f"{count} calls of {service}/{method} received")
        # The count goes up as the router takes the call; the engine gets it one turn of the loop later.
        for _ in range(3):
            await asyncio.sleep(0)

    async def probe(self, path: str) -> int:
        """The status of ``GET <path>`` (``/alive``, ``/ready``) on the management port."""
        async with self.http.get(f"http://127.0.0.1:{self.proxy.management_ports[0]}{path}") as response:
            return response.status

    async def ready(self) -> bool:
        return await self.probe("/ready") == 200


def _serialize(request: message.Message) -> bytes:
    return request.SerializeToString()


def _raw(data: bytes) -> bytes:
    return data


@contextlib.asynccontextmanager
async def serving(user_function_port: int, store: str = "memory://", **overrides: Any) -> AsyncIterator[Served]:
    """A proxy in front of the user function on ``user_function_port``, serving, with clients for its port."""
    values: dict[str, Any] = {
        "user_function_port": user_function_port,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "management_port": 0,
        "metrics_port": 0,
        "store": store,
        "discovery_backoff_min": 0.05,
        "discovery_backoff_max": 0.5,
        "relay_timeout": 20.0,
        "shutdown_grace": 2.0,
        **overrides,
    }
    proxy = Proxy(Settings(**values))
    await proxy.start()
    try:
        await asyncio.wait_for(proxy.wait_started(), 60)
        assert proxy.serving is not None, f"discovery failed: {proxy.discovery_error}"
        async with client(proxy.serving.http_port) as connected:
            yield Served(connected.channel, connected.http, proxy)
    finally:
        await proxy.stop()


async def unless_unavailable(call: Awaitable[T]) -> T | None:
    """The call's answer, or None when it fails with UNAVAILABLE (anything else fails the test)."""
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.UNAVAILABLE:
            raise
        return None


async def grpc_failure(call: Awaitable[object]) -> tuple[grpc.StatusCode, str]:
    """The status code and message a gRPC call fails with (the test fails if it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    raise AssertionError("the call succeeded")


async def stored_events(store: Store, persistence_id: str, entity_id: str, *types: type[message.Message]) -> list[Any]:
    """The journal of an entity read straight from the store, each event decoded as whichever of ``types`` fits."""
    recovery = await store.journal.recover(persistence_id, entity_id)
    assert recovery.snapshot is None, "the tests keep below the snapshot interval, so that the journal has it all"
    return [_unpack(event.payload, types) for event in recovery.events]


async def stored_value(store: Store, persistence_id: str, entity_id: str, value_type: type[M]) -> M | None:
    """The value of a value entity read straight from the store (None when there is none)."""
    value = await store.values.get(persistence_id, entity_id)
    return None if value is None else _unpack(value, (value_type,))


def _unpack(payload: any_pb2.Any, types: tuple[type[Any], ...]) -> Any:
    for candidate in types:
        if payload.type_url.endswith("/" + candidate.DESCRIPTOR.full_name):
            return candidate.FromString(payload.value)
    raise AssertionError(f"unexpected stored type {payload.type_url}")


async def until(attempt: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    """Retry ``attempt`` until it returns True (a liveness bound, not a timing assertion)."""
    try:
        async with asyncio.timeout(timeout):
            while not await attempt():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what}: still not the case after {timeout} s") from None
