"""One HTTP/2 request stream of an h2c connection, relayed as an HTTP/1.1 request to the HTTP/JSON server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol

import aiohttp
import h2.errors
import h2.exceptions
import yarl
from multidict import CIMultiDict

log = logging.getLogger(__name__)

# Connection-specific headers of HTTP/1.1, which HTTP/2 forbids (RFC 9113, 8.2.2).
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"te"})
_UNREACHABLE = json.dumps({"code": 14, "message": "the HTTP/JSON server cannot be reached", "details": []}).encode()


class Http1Request(NamedTuple):
    method: str
    url: yarl.URL
    headers: CIMultiDict[str]


def http1_request(raw: list[tuple[bytes, bytes]], base: str) -> Http1Request | None:
    """An HTTP/2 request's header block as an HTTP/1.1 request to ``base``; None for CONNECT or an asterisk form."""
    pseudo = {name: value for name, value in raw if name.startswith(b":")}
    path = pseudo.get(b":path", b"").decode("latin-1")
    if not path.startswith("/"):  # nothing the HTTP/JSON server serves
        return None
    headers: CIMultiDict[str] = CIMultiDict()
    if (authority := pseudo.get(b":authority")) is not None:
        headers["Host"] = authority.decode("latin-1")
    cookies: list[str] = []
    for name, value in raw:
        text = value.decode("utf-8", "replace")
        if name == b"cookie":
            cookies.append(text)
        elif not name.startswith(b":") and name != b"te":
            headers.add(name.decode("latin-1"), text)
    if cookies:  # HTTP/2 may split the cookie header; HTTP/1.1 wants it whole (RFC 9113, 8.2.3)
        headers["Cookie"] = "; ".join(cookies)
    method = pseudo.get(b":method", b"GET").decode("latin-1")
    return Http1Request(method, yarl.URL(base + path, encoded=True), headers)  # as sent: escapes matter to templates


class Connection(Protocol):
    """What an exchange needs of its HTTP/2 connection (``h2c.H2Relay``)."""

    def headers(self, stream_id: int, headers: list[tuple[bytes, bytes]], end: bool = False) -> None: ...

    async def send(self, stream_id: int, data: bytes, end: bool = False) -> None: ...

    def reset(self, stream_id: int, code: h2.errors.ErrorCodes) -> None: ...

    def acknowledge(self, stream_id: int, length: int) -> None: ...

    def done(self, stream_id: int) -> None: ...


class Exchange:
    """The request stream ``stream_id``: its body as the client sends it, and the task relaying it."""

    def __init__(
        self,
        connection: Connection,
        stream_id: int,
        session: aiohttp.ClientSession,
        request: Http1Request,
        ended: bool,
    ) -> None:
        self._connection, self._stream_id = connection, stream_id
        self.body: asyncio.Queue[tuple[bytes, int] | None] = asyncio.Queue()  # DATA and its flow-controlled length
        self.ended = ended  # the client has sent its whole request
        self._answered = False  # the response headers have been sent
        self.task = asyncio.create_task(self._relay(session, request, has_body=not ended))

    def cancel(self) -> None:
        self.task.cancel()

    def end(self) -> None:
        self.ended = True
        self.body.put_nowait(None)

    async def _relay(self, session: aiohttp.ClientSession, request: Http1Request, has_body: bool) -> None:
        try:
            try:
                await self._exchange(session, request, self._body() if has_body else None)
            except aiohttp.ClientError as error:
                await self._fail(error)
        except (h2.exceptions.ProtocolError, ConnectionError, OSError):
            pass  # the client reset the stream or left: nothing more to send it
        finally:
            self._finish()

    async def _exchange(
        self, session: aiohttp.ClientSession, request: Http1Request, data: AsyncIterator[bytes] | None
    ) -> None:
        sid, connection = self._stream_id, self._connection
        method, url, headers = request
        async with session.request(method, url, headers=headers, data=data, allow_redirects=False) as response:
            status = [(b":status", str(response.status).encode())]
            kept = [(name.lower(), value) for name, value in response.raw_headers if name.lower() not in _HOP_BY_HOP]
            connection.headers(sid, status + kept)
            self._answered = True
            async for chunk in response.content.iter_any():  # each piece as it comes: streams flow (HTTP-045)
                await connection.send(sid, chunk)
            await connection.send(sid, b"", end=True)

    async def _fail(self, error: aiohttp.ClientError) -> None:
        if self._answered:  # the body was cut, as the HTTP/JSON server does when a raw stream fails: so is the stream
            self._connection.reset(self._stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
            return
        log.warning("HTTP/JSON server unreachable", extra={"error": str(error)})
        self._connection.headers(self._stream_id, [(b":status", b"503"), (b"content-type", b"application/json")])
        await self._connection.send(self._stream_id, _UNREACHABLE, end=True)

    async def _body(self) -> AsyncIterator[bytes]:
        while (item := await self.body.get()) is not None:
            data, length = item
            if data:
                yield data
            # aiohttp asks for the next piece once it has written this one: only now may the client send more
            self._connection.acknowledge(self._stream_id, length)

    def _finish(self) -> None:
        """Give back the window of data never passed on, stop a body nobody will read, and leave the connection."""
        while not self.body.empty():
            if (item := self.body.get_nowait()) is not None:
                self._connection.acknowledge(self._stream_id, item[1])
        if not self.ended:  # answered (say, 413) or reset before the whole request came: the client may stop
            self._connection.reset(self._stream_id, h2.errors.ErrorCodes.NO_ERROR)
        self._connection.done(self._stream_id)
