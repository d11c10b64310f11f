"""The TCK between a proxy and a user function: relays every protocol call and records both directions.

Start one in-process before the proxy, and point the proxy's
``USER_FUNCTION_PORT`` at it::

    interceptor = Interceptor(listen=Endpoint("127.0.0.1", 0), upstream=Endpoint("127.0.0.1", 8080))
    interceptor.start()          # serving; interceptor.endpoint has the port picked for 0
    ...                          # start the proxy with USER_FUNCTION_PORT=interceptor.endpoint.port
    interceptor.stop()

It relays ``EntityDiscovery`` (discover, reportError), ``EventSourced.handle``,
``ValueEntity.handle``, ``Crdt.handle`` and the four ``ActionProtocol`` methods
to the user function, message by message in both directions, with the
metadata and the final status, and records each message (decoded) with its
direction and call in a :class:`~tck.proxy.records.Log`. It runs a gRPC
server on an event loop of its own thread, so synchronous TCK code can wait
on it. Suites find the interceptor the runner started through :func:`find`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from cloudstate import entity_pb2
from google.protobuf.message import Message

from tck.proxy.records import Log, Record, StreamInfo
from tck.proxy.relay import METHODS, Gate, Matcher, Relays, Rewrite, Transform
from tck.suites import Endpoint

T = TypeVar("T")
_BIG = 64 * 1024 * 1024  # the spec asks for at least 12 MiB each way (TRN-011); the TCK passes anything
_OPTIONS = [
    ("grpc.max_receive_message_length", _BIG),
    ("grpc.max_send_message_length", _BIG),
    # A user function that restarts is back within a second; the default backoff would keep calls failing longer.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
_RUNNING: dict[int, Interceptor] = {}
#: A discover call: the call, the ProxyInfo the proxy sent, and the EntitySpec it got (None when the call failed).
Discovery = tuple[StreamInfo, entity_pb2.ProxyInfo, entity_pb2.EntitySpec | None]


def find(endpoint: Endpoint) -> Interceptor | None:
    """The interceptor started in this process that listens on ``endpoint``'s port."""
    return _RUNNING.get(endpoint.port)


class Interceptor:
    def __init__(self, listen: Endpoint, upstream: Endpoint) -> None:
        self.listen = listen
        self.upstream = upstream
        self.log = Log()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tck-interceptor", daemon=True)
        self._server: grpc.aio.Server | None = None
        self._relays: Relays | None = None
        self._port = listen.port

    @property
    def endpoint(self) -> Endpoint:
        """Where the interceptor listens (with the real port once started)."""
        return Endpoint(self.listen.host, self._port)

    def start(self) -> Endpoint:
        self._thread.start()
        self._port = int(self._run(self._start()))
        _RUNNING[self._port] = self
        return self.endpoint

    async def _start(self) -> int:
        channel = grpc.aio.insecure_channel(self.upstream.target, options=_OPTIONS)
        self._relays = Relays(channel, self.log)
        # Without SO_REUSEPORT a port in use is an error, not a second server sharing it with the first.
        server = grpc.aio.server(options=[*_OPTIONS, ("grpc.so_reuseport", 0)])
        by_service: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
        for method in METHODS:
            by_service.setdefault(method.service, {})[method.name] = grpc.stream_stream_rpc_method_handler(
                self._relays.handler(method)
            )
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(s, m) for s, m in by_service.items()])
        port = server.add_insecure_port(self.listen.target)
        await server.start()
        self._server = server
        return int(port)

    def stop(self) -> None:
        """Stop serving (open calls are cancelled) and end the thread; safe after a failed or no start."""
        if _RUNNING.get(self._port) is self:
            del _RUNNING[self._port]
        if self._thread.is_alive():
            self._run(self._stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    async def _stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=None)
        if self._relays is not None:
            await self._relays.channel.close()

    def _run(self, work: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    @property
    def relays(self) -> Relays:
        assert self._relays is not None, "the interceptor is not started"
        return self._relays

    def wait_upstream_ready(self, timeout: float) -> bool:
        """Whether the user function accepts connections (after a restart) within ``timeout`` seconds."""

        async def ready() -> None:
            await asyncio.wait_for(self.relays.channel.channel_ready(), timeout)

        try:
            self._run(ready(), timeout + 1)
        except TimeoutError:
            return False
        return True

    # -- what was seen ---------------------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the log: pass it as ``since`` or ``after`` to look only at what comes later."""
        return self.log.mark()

    def records(self, since: int = 0) -> list[Record]:
        return self.log.since(since)

    def stream(self, stream: int) -> StreamInfo:
        return self.log.stream(stream)

    def messages(self, stream: int) -> list[Record]:
        """Every record of one call (open, in, out, half-close, end, ...), oldest first."""
        return self.log.messages(stream)

    def next_stream(self, service: str, entity_id: str, after: int, timeout: float) -> StreamInfo | None:
        """The first entity stream for (service, entity id) opened after the mark ``after``."""

        def found() -> StreamInfo | None:
            streams = self.log.streams(key=(service, entity_id), since=after)
            return min(streams, key=lambda s: s.opened) if streams else None

        return self.log.wait(found, timeout)

    def wait_closed(self, stream: int, timeout: float) -> StreamInfo | None:
        """The call once it has ended (by either side), or None when it is still open after ``timeout``."""

        def found() -> StreamInfo | None:
            info = self.log.stream(stream)
            return info if info.ended is not None else None

        return self.log.wait(found, timeout)

    def wait_half_closed(self, stream: int, timeout: float) -> StreamInfo | None:
        """The call once the proxy half-closed or abandoned it."""

        def found() -> StreamInfo | None:
            s = self.log.stream(stream)
            return s if s.half_closed is not None or s.end_kind in ("cancelled", "crash") else None

        return self.log.wait(found, timeout)

    def wait(self, find: Callable[[], T | None], timeout: float) -> T | None:
        return self.log.wait(find, timeout)

    def discoveries(self, since: int = 0) -> list[Discovery]:
        """Each discover call opened since the mark: the call, the ProxyInfo sent and the EntitySpec received."""
        found: list[Discovery] = []
        for info in self.log.streams(protocol="discovery", since=since):
            records = self.log.messages(info.id)
            sent = [r.message for r in records if r.kind == "in" and isinstance(r.message, entity_pb2.ProxyInfo)]
            got = [r.message for r in records if r.kind == "out" and isinstance(r.message, entity_pb2.EntitySpec)]
            spec = got[0] if got and info.code == grpc.StatusCode.OK else None
            found.append((info, sent[0] if sent else entity_pb2.ProxyInfo(), spec))
        return found

    def reported_errors(self, since: int = 0) -> list[str]:
        """The messages of the reportError calls the proxy made since the mark."""
        return [
            r.message.message
            for r in self.log.since(since)
            if r.kind == "in" and isinstance(r.message, entity_pb2.UserFunctionError)
        ]

    def clear(self) -> None:
        """Forget what was recorded so far (calls still open stay known)."""
        self.log.clear()

    def released(self, label: str) -> Record:
        """Record that the TCK's client got an answer: a marker that orders the answer among the records."""
        return self.log.add(0, "release", note=label)

    # -- faults ----------------------------------------------------------------------------------------------

    def hold(self, match: Matcher) -> Gate:
        """Hold every in message ``match`` accepts until :meth:`Gate.release` or :meth:`Gate.open` (then drop it)."""
        gate = Gate(match, self._loop, self.log)

        async def add() -> None:
            self.relays.gates.append(gate)

        self._run(add())
        return gate

    def drop(self, gate: Gate) -> None:
        """Open the gate and forget it."""
        gate.open()

        async def remove() -> None:
            if gate in self.relays.gates:
                self.relays.gates.remove(gate)

        self._run(remove())

    def crash(self, stream: int, details: str = "the TCK ended this stream (a simulated entity crash)") -> bool:
        """End the proxy's side of a call with INTERNAL and cancel the user function's side; False if not open."""
        result: bool = self._run(self.relays.crash(stream, details))
        return result

    def inject_restart(self, service: str, entity_id: str) -> None:
        """Set ``Failure.restart`` on the entity's next failure reply, as a user function that cannot roll back."""

        async def add() -> None:
            self.relays.restarts.add((service, entity_id))

        self._run(add())

    def rewrite(self, match: Matcher, transform: Transform, times: int | None = 1) -> Rewrite:
        """Give the proxy ``transform(copy)`` instead of the next ``times`` out messages ``match`` accepts.

        The out messages are the user function's (a reply, a stream-level failure, an ActionResponse), so
        the TCK plays a user function that misbehaves in exactly one message; the log keeps the forged
        message, with the original in its note. ``times=None`` rewrites until :meth:`unrewrite`.
        """
        rewrite = Rewrite(match, transform, times)

        async def add() -> None:
            self.relays.rewrites.append(rewrite)

        self._run(add())
        return rewrite

    def unrewrite(self, rewrite: Rewrite) -> None:
        """Stop a rewrite (whether or not it has applied)."""

        async def remove() -> None:
            if rewrite in self.relays.rewrites:
                self.relays.rewrites.remove(rewrite)

        self._run(remove())


def message_of(record: Record) -> Message:
    assert record.message is not None
    return record.message
