"""One public port for two servers: a TCP front that sorts connections by their first bytes.

grpc.aio and aiohttp cannot share a listening socket, so both listen on
loopback ports of their own and this front owns the public port. A client
that opens with the HTTP/2 prior-knowledge preface (``PRI * HTTP/2.0``,
which every gRPC client sends) is spliced to the gRPC server; anything else
(HTTP/1.1) goes to the HTTP/JSON server. The bytes read to decide are
replayed to the chosen server, so neither notices the front.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

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
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # pass the half-close on; the other direction may still be busy
    except (ConnectionError, OSError):
        writer.close()


class PortFront:
    def __init__(self, host: str, port: int, grpc_address: tuple[str, int], http_address: tuple[str, int]) -> None:
        self._host, self._port = host, port
        self._grpc, self._http = grpc_address, http_address
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    async def close(self, grace: float) -> None:
        """Stop accepting; let open connections finish for up to ``grace`` seconds, then cut them."""
        if self._server is not None:
            self._server.close()
        if self._connections:
            _, late = await asyncio.wait(set(self._connections), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._splice(reader, writer)
        finally:
            self._connections.discard(task)
            writer.close()

    async def _splice(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _sniff(reader)
        if not head:
            return
        target = self._grpc if head == PREFACE else self._http
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        except OSError as error:
            log.warning(
                "internal server unreachable", extra={"target": f"{target[0]}:{target[1]}", "error": str(error)}
            )
            return
        try:
            upstream_writer.write(head)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await upstream_writer.wait_closed()
