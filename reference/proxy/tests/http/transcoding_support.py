"""Shared helpers of the HTTP/JSON transcoder tests.

The test protos are compiled when first needed, with grpc_tools.protoc, into a
FileDescriptorSet that is loaded into a fresh descriptor pool: exactly how the
proxy meets a user function's descriptors. ``ScriptedInvoker`` implements the
Invoker protocol: by default it echoes the request (or answers the default
output), and a test can script any method's answer. ``serve`` runs the app on a
real server on a free port of 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cloudstate_proxy.http import build_http_app
from cloudstate_proxy.invoking import Call, Response
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory
from google.protobuf.descriptor import ServiceDescriptor
from grpc_tools import protoc

PROTOS = Path(__file__).resolve().parent / "protos"
SPEC_PROTO = Path(__file__).resolve().parents[4] / "spec" / "proto"

UnaryScript = Callable[[Call, message.Message], Awaitable[Response]]
StreamScript = Callable[[Call, message.Message], AsyncIterator[Response]]


@functools.cache
def pool() -> descriptor_pool.DescriptorPool:
    """A fresh pool holding the test protos and everything they import."""
    includes = [
        PROTOS,
        SPEC_PROTO,
        Path(annotations_pb2.__file__).parents[2],
        importlib.resources.files("grpc_tools") / "_proto",
    ]
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "descriptors.binpb"
        args = ["protoc", *(f"-I{path}" for path in includes), "--include_imports", f"--descriptor_set_out={out}"]
        status = protoc.main([*args, *sorted(p.name for p in PROTOS.glob("*.proto"))])
        assert status == 0, "protoc failed on the test protos"
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    result = descriptor_pool.DescriptorPool()
    for file in files.file:  # --include_imports lists dependencies first
        result.Add(file)
    return result


def service(name: str) -> ServiceDescriptor:
    return pool().FindServiceByName(name)


def things() -> ServiceDescriptor:
    return service("httptest.Things")


def message_class(full_name: str) -> type[message.Message]:
    return message_factory.GetMessageClass(pool().FindMessageTypeByName(full_name))


def new(full_name: str, **fields: Any) -> Any:
    """A message of a run-time class, typed Any so tests can use its attributes."""
    return message_class(full_name)(**fields)


class ScriptedInvoker:
    """An Invoker that records every call and answers as scripted (echo by default)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Call, Any]] = []
        self.unary_scripts: dict[str, UnaryScript] = {}
        self.stream_scripts: dict[str, StreamScript] = {}

    @property
    def last(self) -> tuple[Call, Any]:
        assert self.calls, "the invoker was not called"
        return self.calls[-1]

    async def unary(self, call: Call, request: message.Message) -> Response:
        self.calls.append((call, request))
        script = self.unary_scripts.get(call.method)
        if script is not None:
            return await script(call, request)
        return Response(_echo(call, request))

    def server_streaming(self, call: Call, request: message.Message) -> AsyncIterator[Response]:
        self.calls.append((call, request))
        script = self.stream_scripts.get(call.method)
        if script is not None:
            return script(call, request)
        return _echo_three_times(call, request)

    async def client_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> Response:
        raise AssertionError("client-streaming methods are not served over HTTP")

    def bidi_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> AsyncIterator[Response]:
        raise AssertionError("bidirectional methods are not served over HTTP")


def _echo(call: Call, request: message.Message) -> message.Message:
    output = pool().FindServiceByName(call.service).FindMethodByName(call.method).output_type
    reply = message_factory.GetMessageClass(output)()
    if output.full_name == request.DESCRIPTOR.full_name:
        reply.CopyFrom(request)
    return reply


async def _echo_three_times(call: Call, request: message.Message) -> AsyncIterator[Response]:
    for _ in range(3):
        yield Response(_echo(call, request))


def new_invoker() -> ScriptedInvoker:
    """For the ``invoker`` fixture of the test modules."""
    return ScriptedInvoker()


async def serve_things(invoker: ScriptedInvoker) -> AsyncIterator[aiohttp.ClientSession]:
    """For the ``client`` fixture of the test modules: the transcoder over httptest.Things, served."""
    async with serve(invoker) as session:
        yield session


@contextlib.asynccontextmanager
async def serve(
    invoker: ScriptedInvoker,
    services: Sequence[ServiceDescriptor] | None = None,
    *,
    configure: Callable[[web.Application], None] | None = None,
    **options: int,
) -> AsyncIterator[aiohttp.ClientSession]:
    """Serve the transcoder on 127.0.0.1 (a free port) and yield a client session whose base URL is that server."""
    app = build_http_app(services if services is not None else [things()], invoker, **options)
    if configure is not None:
        configure(app)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            yield session
    finally:
        await runner.cleanup()
