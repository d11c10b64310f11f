"""HTTP/JSON over cleartext HTTP/2: the front ends HTTP/2 itself and passes each stream on as an HTTP/1.1 request.

The HTTP/JSON server (aiohttp) speaks HTTP/1.1 only, so for a connection whose
first request is not gRPC (see ``h2c_sniff``) the front is the HTTP/2 server:
each request stream becomes one HTTP/1.1 request to that server (over loopback
connections of this client's own, one per stream in flight), and the answer goes
back on the stream as it arrives, so that streamed messages are not held back
(HTTP-045). Request bodies are acknowledged
(flow control) only once passed on, so a client cannot make the front buffer
more than one window. A stream the client resets, or a connection it closes,
cancels its request, which the HTTP/JSON server sees as a client leaving (HTTP-049).

Limitation: a connection belongs to whichever server its first request is for.
A gRPC call on a connection opened with an HTTP/JSON request is answered with
UNIMPLEMENTED, saying to use a connection of its own (gRPC clients open their own
connections; only a client that mixes both on one connection meets this).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
from hyperframe.frame import GoAwayFrame

from cloudstate_proxy.h2c_exchange import Exchange, http1_request
from cloudstate_proxy.h2c_sniff import is_grpc

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_GRPC_REFUSED = [
    (b":status", b"200"),
    (b"content-type", b"application/grpc"),
    (b"grpc-status", b"12"),
    (b"grpc-message", b"this connection carries HTTP/JSON; open a separate connection for gRPC calls"),
]


class H2Relay:
    """One client's HTTP/2 connection, its streams each relayed to the HTTP/JSON server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: tuple[str, int]) -> None:
        self._reader, self._writer = reader, writer
        self._base = f"http://{target[0]}:{target[1]}"
        self._conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding=None))
        self._exchanges: dict[int, Exchange] = {}
        self._opened = asyncio.Event()  # set (and replaced) whenever the client opens a flow-control window
        self._last_stream: int | None = None  # once draining: the last stream the GOAWAY promised to serve

    async def serve(self, opening: bytes) -> None:
        """Serve until the client or a shutdown closes the connection; ``opening`` is what the front read already."""
        # The streams' requests go out over a session of this connection's own: no cookies, bodies passed on as
        # they are, no timeout (the router has its own), no headers of aiohttp's that the client did not send.
        session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(),
            connector=aiohttp.TCPConnector(limit=0),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        )
        self._conn.initiate_connection()
        try:
            data = opening
            while data and not self._writer.is_closing():
                self._receive(data, session)
                data = await self._reader.read(_CHUNK)
        except (ConnectionError, OSError):
            pass
        finally:
            for exchange in list(self._exchanges.values()):
                exchange.cancel()
            await asyncio.gather(*(e.task for e in self._exchanges.values()), return_exceptions=True)
            await session.close()

    def drain(self) -> None:
        """Shutdown: GOAWAY (no new streams), then close once the streams in flight are done."""
        if self._last_stream is None and not self._writer.is_closing():
            self.flush()
            self._last_stream = self._conn.highest_inbound_stream_id
            # Not h2's close_connection(): after it, h2 would send nothing more on the streams still in flight.
            self._writer.write(GoAwayFrame(0, last_stream_id=self._last_stream).serialize())
        self._close_if_done()

    def flush(self) -> None:
        if (data := self._conn.data_to_send()) and not self._writer.is_closing():
            self._writer.write(data)

    async def send(self, stream_id: int, data: bytes, end: bool = False) -> None:
        """Send ``data`` on a stream, as fast as the client's flow-control windows let it."""
        while data:
            opened = self._opened
            window = min(self._conn.local_flow_control_window(stream_id), self._conn.max_outbound_frame_size)
            if window <= 0:
                await opened.wait()
                continue
            self._conn.send_data(stream_id, data[:window])
            data = data[window:]
            self.flush()
            await self._writer.drain()
        if end:
            self._conn.end_stream(stream_id)
            self.flush()

    def headers(self, stream_id: int, headers: list[tuple[bytes, bytes]], end: bool = False) -> None:
        self._conn.send_headers(stream_id, headers, end_stream=end)
        self.flush()

    def reset(self, stream_id: int, code: h2.errors.ErrorCodes) -> None:
        with contextlib.suppress(h2.exceptions.ProtocolError):  # the stream may be closed already
            self._conn.reset_stream(stream_id, code)
            self.flush()

    def acknowledge(self, stream_id: int, length: int) -> None:
        """Reopen the client's window for ``length`` bytes that have been passed on (or dropped)."""
        if length:
            with contextlib.suppress(h2.exceptions.ProtocolError):  # the connection may have failed meanwhile
                self._conn.acknowledge_received_data(length, stream_id)
                self.flush()

    def done(self, stream_id: int) -> None:
        self._exchanges.pop(stream_id, None)
        self._close_if_done()

    def _close_if_done(self) -> None:
        if self._last_stream is not None and not self._exchanges and not self._writer.is_closing():
            self._conn.close_connection(last_stream_id=self._last_stream)
            self.flush()
            self._writer.close()

    def _receive(self, data: bytes, session: aiohttp.ClientSession) -> None:
        try:
            events = self._conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            log.debug("HTTP/2 protocol error", extra={"error": str(error)})
            self.flush()  # h2 has queued a GOAWAY saying why
            self._writer.close()
            return
        for event in events:
            self._handle(event, session)
        self.flush()

    def _handle(self, event: h2.events.Event, session: aiohttp.ClientSession) -> None:
        if isinstance(event, h2.events.RequestReceived) and event.stream_id:
            self._request(event.stream_id, list(event.headers or ()), event.stream_ended is not None, session)
        elif isinstance(event, h2.events.DataReceived) and event.stream_id:
            exchange = self._exchanges.get(event.stream_id)
            if exchange is None:
                self.acknowledge(event.stream_id, event.flow_controlled_length or 0)
            else:
                exchange.body.put_nowait((event.data or b"", event.flow_controlled_length or 0))
        elif isinstance(event, h2.events.StreamEnded) and event.stream_id in self._exchanges:
            self._exchanges[event.stream_id].end()
        elif isinstance(event, h2.events.StreamReset) and event.stream_id in self._exchanges:
            self._exchanges[event.stream_id].cancel()
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self._opened.set()
            self._opened = asyncio.Event()
        elif isinstance(event, h2.events.ConnectionTerminated):  # the client's GOAWAY: h2 sends nothing after it
            self._writer.close()

    def _request(
        self, stream_id: int, raw: list[tuple[bytes, bytes]], ended: bool, session: aiohttp.ClientSession
    ) -> None:
        if self._last_stream is not None and stream_id > self._last_stream:
            self.reset(stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)  # after our GOAWAY: the client may retry
        elif any(name == b"content-type" and is_grpc(value) for name, value in raw):
            self.headers(stream_id, _GRPC_REFUSED, end=True)
        elif (request := http1_request(raw, self._base)) is None:
            self.reset(stream_id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
        else:
            self._exchanges[stream_id] = Exchange(self, stream_id, session, request, ended)
