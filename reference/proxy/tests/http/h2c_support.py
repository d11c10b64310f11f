"""Helpers of the h2c tests: the one-port front before real servers, and a small HTTP/2 client.

``serve_front`` runs the transcoder over httptest.Things (with a ScriptedInvoker)
and a gRPC server with one echo method, each on a loopback port, behind a
:class:`~cloudstate_proxy.front.PortFront`, as the proxy does. ``H2cClient``
speaks HTTP/2 with prior knowledge over asyncio with ``h2``: several streams at
once, flow control both ways, resets, and the server's GOAWAY.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence

import grpc
import h2.config
import h2.connection
import h2.errors
import h2.events
from aiohttp import web
from cloudstate_proxy.front import PortFront
from cloudstate_proxy.http import build_http_app
from transcoding_support import ScriptedInvoker, things

ECHO = "/echo.Echo/Say"


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@contextlib.asynccontextmanager
async def serve_front(invoker: ScriptedInvoker) -> AsyncIterator[PortFront]:
    """The transcoder and an echo gRPC server behind a started front on a free port of 127.0.0.1."""
    runner = web.AppRunner(build_http_app([things()], invoker))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()

    async def say(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return request

    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(say)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("echo.Echo", {"Say": handler})])
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    front = PortFront("127.0.0.1", 0, ("127.0.0.1", grpc_port), ("127.0.0.1", runner.addresses[0][1]))
    await front.start()
    try:
        yield front
    finally:
        await front.close(1.0)
        await runner.cleanup()
        await server.stop(0)


class H2cClient:
    """One HTTP/2 connection (prior knowledge); each stream's events are queued for the test to read."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.events: dict[int, asyncio.Queue[h2.events.Event | None]] = {}
        self.goaways: list[int] = []  # the last stream id of each GOAWAY the server sent
        self._frames = bytearray()
        self._opened = asyncio.Event()
        self.conn.initiate_connection()
        self._flush()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> H2cClient:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def start(self, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> int:
        """Open a stream and send the whole request, waiting for window whenever the server's is used up."""
        stream = self.conn.get_next_available_stream_id()
        self.events[stream] = asyncio.Queue()
        pseudo = [(":method", method), (":scheme", "http"), (":authority", "proxy"), (":path", path)]
        sized = [("content-length", str(len(body)))] if body else []
        self.conn.send_headers(stream, [*pseudo, *headers, *sized], end_stream=not body)
        self._flush()
        while body:
            opened = self._opened
            window = min(self.conn.local_flow_control_window(stream), self.conn.max_outbound_frame_size)
            if window == 0:
                await opened.wait()
                continue
            self.conn.send_data(stream, body[:window], end_stream=len(body) <= window)
            body = body[window:]
            self._flush()
        return stream

    async def next(self, stream: int) -> h2.events.Event | None:
        """The stream's next event (None: the connection ended)."""
        return await asyncio.wait_for(self.events[stream].get(), 10)

    async def answer(self, stream: int) -> Answer:
        """Read the stream to its end."""
        status, headers, body = 0, {}, bytearray()
        while (event := await self.next(stream)) is not None:
            if isinstance(event, h2.events.ResponseReceived):
                pairs = {str(k): str(v) for k, v in event.headers or ()}
                status, headers = int(pairs.pop(":status")), pairs
            elif isinstance(event, h2.events.DataReceived):
                body += event.data or b""
            elif isinstance(event, h2.events.TrailersReceived):
                headers |= {str(k): str(v) for k, v in event.headers or ()}
            elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                break
        return Answer(status, headers, bytes(body))

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
    ) -> Answer:
        return await self.answer(await self.start(method, path, body, headers))

    def reset(self, stream: int) -> None:
        self.conn.reset_stream(stream, h2.errors.ErrorCodes.CANCEL)
        self._flush()

    async def closed(self) -> None:
        """Wait until the server has closed the connection."""
        await asyncio.wait_for(asyncio.shield(self._task), 10)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        await self._task

    def _flush(self) -> None:
        if data := self.conn.data_to_send():
            self._writer.write(data)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await self._reader.read(65536):
                for event in self.conn.receive_data(self._without_goaways(data)):
                    self._dispatch(event)
                self._flush()
        for queue in self.events.values():
            queue.put_nowait(None)

    def _without_goaways(self, data: bytes) -> bytes:
        """The whole frames received, minus GOAWAY frames, which are noted in ``goaways``.

        h2 accepts nothing more once it has seen a GOAWAY, not even the rest of the streams the GOAWAY lets finish,
        so that the client can follow a graceful shutdown, h2 never sees one.
        """
        self._frames += data
        kept = bytearray()
        while len(self._frames) >= 9 and len(self._frames) >= 9 + (size := int.from_bytes(self._frames[:3], "big")):
            frame, self._frames = self._frames[: 9 + size], self._frames[9 + size :]
            if frame[3] == 0x7:
                self.goaways.append(int.from_bytes(frame[9:13], "big") & 0x7FFF_FFFF)
            else:
                kept += frame
        return bytes(kept)

    def _dispatch(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.DataReceived) and event.stream_id:
            self.conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
        if isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self._opened.set()
            self._opened = asyncio.Event()
        stream = getattr(event, "stream_id", None)
        if stream in self.events:
            self.events[stream].put_nowait(event)
