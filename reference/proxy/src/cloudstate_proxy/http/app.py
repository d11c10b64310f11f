"""The aiohttp application that serves the user function's services as HTTP/JSON."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from google.protobuf.descriptor import ServiceDescriptor

from cloudstate_proxy.http.routing import Router
from cloudstate_proxy.http.rules import collect_bindings, streaming_rule_warnings
from cloudstate_proxy.http.transcoder import Transcoder
from cloudstate_proxy.invoking import Invoker

_log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 12 * 1024 * 1024
TRANSCODER = web.AppKey("cloudstate_proxy.http.transcoder", Transcoder)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_http_app(
    services: Sequence[ServiceDescriptor], invoker: Invoker, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> web.Application:
    """An application serving every unary and server-streaming method of ``services`` over HTTP/JSON.

    Raises HttpRuleError when a ``google.api.http`` rule is invalid or two
    bindings conflict. Routes added to the returned application's router take
    precedence: the transcoder answers every request that no such route
    matches (it runs as a middleware, so health or probe routes can be added
    after this call).
    """
    bindings = collect_bindings(services)
    for warning in streaming_rule_warnings(services):
        _log.warning("%s", warning)
    unavailable = {
        f"/{service.full_name}/{method.name}": (
            f"{service.full_name}.{method.name} streams its requests, which HTTP/JSON cannot carry; call it over gRPC"
        )
        for service in services
        for method in service.methods
        if method.client_streaming
    }
    transcoder = Transcoder(Router(bindings, unavailable), invoker, max_message_bytes)

    @web.middleware
    async def transcode(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.match_info.http_exception is None:  # a route of the application's own router matched
            return await handler(request)
        return await transcoder.handle(request)

    # Cancel a request's handler when its client disconnects, so that the call behind it is cancelled too (HTTP-049).
    handler_args = {"handler_cancellation": True}
    app = web.Application(middlewares=[transcode], client_max_size=max_message_bytes, handler_args=handler_args)
    app[TRANSCODER] = transcoder
    return app
