"""HTTP/JSON defects of the reference proxy: ``python -m tck.tests.fakes.broken_proxy DEFECT [proxy flags]``.

Each defect patches one function of the reference proxy's HTTP handling before
the proxy starts, so that the ``proxy/http`` suite must find exactly that
defect. :mod:`tck.tests.fakes.broken_proxy` runs them beside its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web
from cloudstate_proxy import front, h2c_sniff
from cloudstate_proxy.errors import ProxyError, UnknownMethod
from cloudstate_proxy.http import errors, streaming
from cloudstate_proxy.http.routing import Router
from cloudstate_proxy.http.transcoder import Transcoder


def error_without_code() -> None:
    """Error bodies carry the message and details but no ``code``."""

    def status_json(error: ProxyError) -> bytes:
        return json.dumps({"message": error.message, "details": []}).encode()

    errors.status_json = status_json


def not_found_for_wrong_method() -> None:
    """A bound path with another HTTP method is answered 404, as if nothing were bound there."""
    route = Router.route

    def patched(self: Router, http_method: str, path: str) -> Any:
        try:
            return route(self, http_method, path)
        except errors.MethodNotAllowed as error:
            raise UnknownMethod(error.message) from None

    Router.route = patched  # type: ignore[method-assign]


def sse_without_error_event() -> None:
    """A failed Server-Sent Events stream just ends, without its ``event: error``."""
    framing = streaming._framing

    def patched(request: web.Request, binding: Any, first: Any) -> Any:
        found = framing(request, binding, first)
        return (
            dataclasses.replace(found, error=lambda _: b"") if found.content_type == streaming.EVENT_STREAM else found
        )

    streaming._framing = patched


def not_acceptable() -> None:
    """Answer 406 to an Accept header that lists neither JSON, nor event streams, nor ``*/*``."""
    handle = Transcoder.handle

    async def patched(self: Transcoder, request: web.Request) -> web.StreamResponse:
        accept = request.headers.get("Accept", "*/*")
        if not any(kind in accept for kind in ("json", "*/*", "text/event-stream")):
            return web.Response(status=406, body=b'{"code":3,"message":"not acceptable","details":[]}')
        return await handle(self, request)

    Transcoder.handle = patched  # type: ignore[method-assign]


def h2c_to_grpc() -> None:
    """Every HTTP/2 connection goes to the gRPC server, HTTP/JSON over h2c included (the proxy before h2c)."""
    read_opening = h2c_sniff.read_opening

    async def patched(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, preface: bytes
    ) -> h2c_sniff.Opening | None:
        opening = await read_opening(reader, writer, preface)
        return None if opening is None else dataclasses.replace(opening, grpc=True)

    setattr(front, "read_opening", patched)  # noqa: B010 (front imported the name; mypy sees no export)


DEFECTS: dict[str, Callable[[], None]] = {
    "error-without-code": error_without_code,
    "not-found-for-wrong-method": not_found_for_wrong_method,
    "sse-without-error-event": sse_without_error_event,
    "not-acceptable": not_acceptable,
    "h2c-to-grpc": h2c_to_grpc,
}
