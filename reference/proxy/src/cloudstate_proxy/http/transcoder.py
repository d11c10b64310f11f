"""The request handler: route, decode, invoke, render; every failure becomes a JSON error answer."""

from __future__ import annotations

import logging

from aiohttp import web
from multidict import CIMultiDict

from cloudstate_proxy.errors import MessageTooLarge, ProxyError
from cloudstate_proxy.http.decoding import RequestParts, decode_request
from cloudstate_proxy.http.errors import InternalError, error_response
from cloudstate_proxy.http.metadata import request_metadata, response_headers
from cloudstate_proxy.http.rendering import render
from cloudstate_proxy.http.routing import Router
from cloudstate_proxy.http.streaming import stream_response
from cloudstate_proxy.invoking import Call, Invoker

_log = logging.getLogger(__name__)


class Transcoder:
    def __init__(self, router: Router, invoker: Invoker, max_message_bytes: int) -> None:
        self.router = router
        self.invoker = invoker
        self.max_message_bytes = max_message_bytes

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._serve(request)
        except ProxyError as exc:
            return error_response(exc)
        except Exception:
            _log.exception("HTTP/JSON request %s %s failed", request.method, request.path)
            return error_response(InternalError("the request failed inside the proxy"))

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        binding, path_values = self.router.route(request.method, request.rel_url.raw_path)
        parts = RequestParts(
            path_values=path_values,
            query=list(request.rel_url.query.items()),
            body=await self._read_body(request) if binding.body else b"",
            content_type=request.headers.get("Content-Type", ""),
        )
        payload = decode_request(binding, parts)
        service = binding.method.containing_service.full_name
        call = Call(service=service, method=binding.method.name, metadata=request_metadata(request.headers))
        if binding.method.server_streaming:
            return await stream_response(request, binding, self.invoker.server_streaming(call, payload))
        reply = await self.invoker.unary(call, payload)
        rendered = render(binding, reply.message)
        headers = CIMultiDict(response_headers(reply.metadata))
        headers["Content-Type"] = rendered.content_type
        return web.Response(body=rendered.body, headers=headers)

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.max_message_bytes
        too_large = MessageTooLarge(f"the request body is larger than the limit of {limit} bytes")
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > limit:
                raise too_large
        return bytes(body)
