"""gRPC ingress: method handlers built at run time from the discovered descriptors.

Each method of each served service gets a handler of its streaming shape.
Request bytes are decoded here (with the descriptor pool's message classes)
so that a malformed message is INVALID_ARGUMENT rather than a transport
error; a :class:`ProxyError` from the invoker becomes the call's status; the
metadata of the first response becomes the call's initial metadata.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, NoReturn

import grpc
from google.protobuf import message
from google.protobuf.message import DecodeError

from cloudstate_proxy import metadata
from cloudstate_proxy.descriptors import MethodModel, ServiceModel
from cloudstate_proxy.errors import InvalidRequest, ProxyError, UnknownMethod
from cloudstate_proxy.invoking import Call, Invoker, MetadataEntry, Response

_Context = Any  # grpc.aio.ServicerContext (grpc ships no type information)


def _decode(method: MethodModel, data: bytes) -> message.Message:
    request = method.input_class()
    try:
        request.ParseFromString(data)
    except DecodeError as error:
        raise InvalidRequest(f"request is not a valid {method.descriptor.input_type.full_name}: {error}") from None
    return request


def _call(method: MethodModel, context: _Context) -> Call:
    pairs = [(item.key, item.value) for item in context.invocation_metadata() or ()]
    return Call(method.service, method.name, metadata.inbound(pairs))


def outbound_metadata(entries: Sequence[MetadataEntry]) -> tuple[tuple[str, str | bytes], ...]:
    """Response metadata as gRPC metadata: bytes values only under "-bin" keys, as gRPC requires."""
    pairs: list[tuple[str, str | bytes]] = []
    for entry in entries:
        key = entry.key.lower()
        if isinstance(entry.value, bytes):
            pairs.append((key if key.endswith("-bin") else f"{key}-bin", entry.value))
        elif not key.endswith("-bin"):
            pairs.append((key, entry.value))
    return tuple(pairs)


def _bytes(response: Response) -> bytes:
    return response.raw if response.raw is not None else response.message.SerializeToString()


async def _abort(context: _Context, error: ProxyError) -> NoReturn:
    await context.abort(error.code, error.message)
    raise AssertionError("unreachable: abort raises")


async def _send_headers(context: _Context, response: Response) -> None:
    if response.metadata:
        await context.send_initial_metadata(outbound_metadata(response.metadata))


def _handler(method: MethodModel, invoker: Invoker) -> grpc.RpcMethodHandler:
    async def requests(raw: AsyncIterator[bytes]) -> AsyncIterator[message.Message]:
        async for data in raw:
            yield _decode(method, data)

    async def unary(data: bytes, context: _Context) -> bytes:
        try:
            response = await invoker.unary(_call(method, context), _decode(method, data))
        except ProxyError as error:
            await _abort(context, error)
        await _send_headers(context, response)
        return _bytes(response)

    async def client_streaming(raw: AsyncIterator[bytes], context: _Context) -> bytes:
        try:
            response = await invoker.client_streaming(_call(method, context), requests(raw))
        except ProxyError as error:
            await _abort(context, error)
        await _send_headers(context, response)
        return _bytes(response)

    async def relay(responses: AsyncIterator[Response], context: _Context) -> AsyncIterator[bytes]:
        first = True
        try:
            async for response in responses:
                if first:
                    await _send_headers(context, response)
                    first = False
                yield _bytes(response)
        except ProxyError as error:
            await _abort(context, error)

    async def server_streaming(data: bytes, context: _Context) -> AsyncIterator[bytes]:
        try:
            request = _decode(method, data)
        except ProxyError as error:
            await _abort(context, error)
        async for item in relay(invoker.server_streaming(_call(method, context), request), context):
            yield item

    async def bidi_streaming(raw: AsyncIterator[bytes], context: _Context) -> AsyncIterator[bytes]:
        async for item in relay(invoker.bidi_streaming(_call(method, context), requests(raw)), context):
            yield item

    shapes: dict[tuple[bool, bool], tuple[Callable[..., Any], Callable[..., Any]]] = {
        (False, False): (grpc.unary_unary_rpc_method_handler, unary),
        (True, False): (grpc.stream_unary_rpc_method_handler, client_streaming),
        (False, True): (grpc.unary_stream_rpc_method_handler, server_streaming),
        (True, True): (grpc.stream_stream_rpc_method_handler, bidi_streaming),
    }
    factory, behaviour = shapes[(method.client_streaming, method.server_streaming)]
    return factory(behaviour)


class _UnknownMethods:  # a grpc.GenericRpcHandler (grpc checks for the method, not the class)
    """Answers every method nothing else serves: UNIMPLEMENTED, naming the method (gRPC's own answer does not)."""

    def __init__(self, services: Sequence[ServiceModel]) -> None:
        self._services = {service.name for service in services}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        path: str = handler_call_details.method  # "/package.Service/Method"
        service, _, name = path.lstrip("/").partition("/")
        if service in self._services:
            error = UnknownMethod(f"unknown method {path}: the service {service} has no method {name!r}")
        else:
            error = UnknownMethod(f"unknown method {path}: the proxy serves no service {service!r}")

        # Streamed in: the handler runs before any request is read, whatever shape the client calls with.
        async def refuse(requests: AsyncIterator[bytes], context: _Context) -> bytes:
            await _abort(context, error)

        return grpc.stream_unary_rpc_method_handler(refuse)


def unknown_methods(services: Sequence[ServiceModel]) -> grpc.GenericRpcHandler:
    """The handler of last resort: register it after every other one."""
    return _UnknownMethods(services)


def generic_handlers(services: Sequence[ServiceModel], invoker: Invoker) -> list[grpc.GenericRpcHandler]:
    """One generic handler per service, serving every method of it through ``invoker``."""
    return [
        grpc.method_handlers_generic_handler(
            service.name, {name: _handler(method, invoker) for name, method in service.methods.items()}
        )
        for service in services
    ]
