"""Server-streaming calls over HTTP (spec/13-http.md, HTTP-042 to HTTP-049, HTTP-054).

One response whose body grows as messages arrive, framed as Server-Sent Events
when the client accepts ``text/event-stream``, as raw bytes for a
``google.api.HttpBody`` output, and otherwise as newline-delimited JSON. The
first message is awaited before anything is sent, so that a call failing at
once gets a proper error status and the first reply's metadata become the
headers. When the client goes away, aiohttp cancels the handler (the app enables
handler cancellation) and the call's iterator is closed, which cancels the
call (HTTP-049); the iterator is closed however the response ends.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from google.protobuf import message
from multidict import CIMultiDict

from cloudstate_proxy.errors import ProxyError
from cloudstate_proxy.http.errors import InternalError, status_json
from cloudstate_proxy.http.metadata import response_headers
from cloudstate_proxy.http.rendering import JSON, OCTET_STREAM, dump_json, json_value, raw_body
from cloudstate_proxy.http.rules import Binding
from cloudstate_proxy.invoking import Response

_log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"


@dataclasses.dataclass(frozen=True)
class _Framing:
    content_type: str
    message: Callable[[message.Message], bytes]
    error: Callable[[ProxyError], bytes] | None  # None: raw bytes have no way to carry an error


def wants_event_stream(accept: str) -> bool:
    """Whether an Accept header lists ``text/event-stream``."""
    return any(part.split(";", 1)[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


async def stream_response(
    request: web.Request, binding: Binding, responses: AsyncIterator[Response]
) -> web.StreamResponse:
    """Relay a server-streaming call; a failure before the first message propagates to the caller (HTTP-046)."""
    try:
        first = await anext(responses, None)
        framing = _framing(request, binding, first)
        response = web.StreamResponse(headers=CIMultiDict(response_headers(first.metadata if first else ())))
        response.headers["Content-Type"] = framing.content_type
        if framing.content_type == EVENT_STREAM:
            response.headers["Cache-Control"] = "no-cache"
        await response.prepare(request)
        try:
            if first is not None:
                await response.write(framing.message(first.message))
                await _relay(request, responses, response, framing)
        except ConnectionError:
            _log.debug("client left %s %s during a stream", request.method, request.path)
        return response  # aiohttp writes the end of the body
    finally:
        await _close(responses)


async def _relay(
    request: web.Request, responses: AsyncIterator[Response], response: web.StreamResponse, framing: _Framing
) -> None:
    failure: ProxyError | None = None
    while failure is None:
        try:
            reply = await anext(responses)
        except StopAsyncIteration:
            return
        except ProxyError as exc:
            failure = exc
        except Exception:
            _log.exception("stream %s %s failed", request.method, request.path)
            failure = InternalError("the stream failed inside the proxy")
        else:
            await response.write(framing.message(reply.message))
    if framing.error is not None:
        await response.write(framing.error(failure))  # HTTP-047, HTTP-048
    elif request.transport is not None:
        # Raw bytes: end the connection without the final chunk, so the client sees an incomplete body.
        _log.warning("raw stream %s ended by a failure: %s", request.path, failure.message)
        request.transport.close()


def _framing(request: web.Request, binding: Binding, first: Response | None) -> _Framing:
    if wants_event_stream(request.headers.get("Accept", "")):
        return _Framing(
            EVENT_STREAM,
            lambda reply: b"data: " + dump_json(json_value(binding, reply)) + b"\n\n",
            lambda error: b"event: error\ndata: " + status_json(error) + b"\n\n",
        )
    if binding.raw_output:  # HTTP-044
        first_body = raw_body(binding, first.message) if first is not None else None

        def raw(reply: message.Message) -> bytes:
            payload = raw_body(binding, reply)
            return payload.body if payload is not None else b""

        return _Framing(first_body.content_type if first_body else OCTET_STREAM, raw, None)
    return _Framing(
        JSON,
        lambda reply: dump_json(json_value(binding, reply)) + b"\n",
        lambda error: b'{"error":' + status_json(error) + b"}\n",
    )


async def _close(responses: AsyncIterator[Response]) -> None:
    close = getattr(responses, "aclose", None)
    if close is not None:
        await close()
