"""One public port for two servers: a TCP front that sorts connections by their first bytes.

grpc.aio and aiohttp cannot share a listening socket, so both listen on
loopback ports of their own and this front owns the public port. A client
that does not open with the HTTP/2 prior-knowledge preface (``PRI * HTTP/2.0``)
speaks HTTP/1.1 and goes to the HTTP/JSON server. One that does is a gRPC
client or an HTTP/JSON client over cleartext HTTP/2 (HTTP-003): the front reads
on to the first request's ``content-type`` (``h2c_sniff``) and splices a gRPC
connection to the gRPC server; for any other, it serves HTTP/2 itself and passes
each request on to the HTTP/JSON server (``h2c``), which speaks HTTP/1.1 only.
The bytes read to decide are replayed to the chosen server, so neither notices
the front, and a spliced connection costs no more than before.

At shutdown only the internal servers know whether a connection has a call in
flight, so the front follows them: they close their idle connections at once
and busy ones when the call is done, and the front then closes the client's
side too, rather than only passing the half-close on and waiting for a client
that may keep an idle keep-alive connection open for ever. On a connection it
serves as HTTP/2 itself, the front sends GOAWAY and closes once its streams are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cloudstate_proxy.h2c import H2Relay
from cloudstate_proxy.h2c_sniff import forward_until_ack, read_opening

log = logging.getLogger(__name__)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_CHUNK = 64 * 1024


async def _sniff(reader: asyncio.StreamReader) -> bytes:
    """Read until the bytes are the full preface or cannot become it."""
    head = b""
    while len(head) < len(PREFACE) and PREFACE.startswith(head):
        chunk = await reader.read(len(PREFACE) - len(head))
        if not chunk:
            break
        head += chunk
    return head


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while not writer.is_closing() and (chunk := await reader.read(_CHUNK)):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # pass the half-close on; the other direction may still be busy
    except (ConnectionError, OSError):
        writer.close()


class _Link:
    """One client connection and, once it is spliced, its connection to an internal server."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.served = False  # the internal server has ended its side: no call of this client is in flight
        self.relay: H2Relay | None = None  # when the front serves the connection as HTTP/2 itself

    def drain(self) -> None:
        """At shutdown: close now if nothing is in flight, else once it is done (``_answer``; HTTP/2: GOAWAY now).

        Nothing is in flight before the splice (no server has been asked anything) or once the server is done.
        """
        if self.relay is not None:
            self.relay.drain()
        elif self.upstream is None or self.served:
            self.close()

    def close(self) -> None:
        """Close both sides once what is already written has been sent."""
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.close()

    def abort(self) -> None:
        """Cut both sides now: the grace period is over, and a client that does not read must not hold us up."""
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.transport.abort()


class PortFront:
    def __init__(self, host: str, port: int, grpc_address: tuple[str, int], http_address: tuple[str, int]) -> None:
        self._host, self._port = host, port
        self._grpc, self._http = grpc_address, http_address
        self._server: asyncio.Server | None = None
        self._links: dict[asyncio.Task[None], _Link] = {}
        self._closing = False

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    async def close(self, grace: float) -> None:
        """Stop accepting; close idle connections now and the others when their call is done, at most after ``grace``.

        Runs alongside the internal servers' own shutdown, which is what ends the calls in flight.
        """
        self._closing = True
        if self._server is not None:
            self._server.close()
        for link in self._links.values():
            link.drain()
        if self._links:
            _, late = await asyncio.wait(set(self._links), timeout=grace)
            for task in late:
                self._links[task].abort()
            if late:
                await asyncio.wait(late)  # without their transports they end at once
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # asyncio runs this in a task that nobody awaits, and Python 3.11 logs such a task's cancellation as an
        # unhandled error; the front never cancels it (close() cuts the transports instead), so a cancellation
        # can only be the event loop going away, and then the connection just ends.
        task = asyncio.current_task()
        assert task is not None
        link = self._links[task] = _Link(writer)
        try:
            await self._splice(link, reader)
        except asyncio.CancelledError:
            log.debug("connection cancelled")
        finally:
            del self._links[task]
            writer.close()

    async def _splice(self, link: _Link, reader: asyncio.StreamReader) -> None:
        head = await _sniff(reader)
        target, acked = self._http, True  # HTTP/1.1: no SETTINGS of the front's for the client to acknowledge
        if head == PREFACE:
            opening = await read_opening(reader, link.client, head)
            if opening is None or self._closing:
                return
            if not opening.grpc:
                link.relay = H2Relay(reader, link.client, self._http)
                await link.relay.serve(opening.replay)
                return
            head, target, acked = opening.replay, self._grpc, opening.acked
        if not head or self._closing:  # shutdown began while the client had not said enough to be served
            return
        try:
            upstream_reader, link.upstream = await asyncio.open_connection(*target)
        except OSError as error:
            log.warning(
                "internal server unreachable", extra={"target": f"{target[0]}:{target[1]}", "error": str(error)}
            )
            return
        try:
            link.upstream.write(head)
            await asyncio.gather(self._ask(reader, link.upstream, acked), self._answer(link, upstream_reader))
        finally:
            link.upstream.close()
            with contextlib.suppress(ConnectionError, OSError):
                await link.upstream.wait_closed()

    @staticmethod
    async def _ask(reader: asyncio.StreamReader, upstream: asyncio.StreamWriter, acked: bool) -> None:
        """Relay the client's bytes to the internal server until the client ends its side."""
        if not acked:
            await forward_until_ack(reader, upstream)
        await _pipe(reader, upstream)

    async def _answer(self, link: _Link, upstream_reader: asyncio.StreamReader) -> None:
        """Relay the internal server's bytes to the client until the server ends its side."""
        await _pipe(upstream_reader, link.client)
        link.served = True
        if self._closing:  # the server closed an idle or finished connection at shutdown: so does the front
            link.close()
