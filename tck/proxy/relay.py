"""The interceptor's asynchronous half: one relay per intercepted call, on the interceptor's own event loop.

Every protocol method is relayed as a bidirectional stream of raw bytes, whatever
its declared shape: on the wire a unary call is a stream of one message each
way, so one relay serves all of them and the bytes pass through unchanged
(unknown fields included). Each message is decoded for the log before it is
passed on; the TCK's faults (a held message, a crash, an injected restart,
a forged reply) happen here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from cloudstate import action_pb2, crdt_pb2, entity_pb2, event_sourced_pb2, value_entity_pb2
from google.protobuf import empty_pb2, text_format
from google.protobuf.message import DecodeError, Message

from tck.proxy.records import Log, Metadata, Record, StreamInfo

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Method:
    service: str
    name: str
    protocol: str
    request: type[Message]
    response: type[Message]

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


_ACTION = "cloudstate.action.ActionProtocol"
METHODS = (
    Method("cloudstate.EntityDiscovery", "discover", "discovery", entity_pb2.ProxyInfo, entity_pb2.EntitySpec),
    Method("cloudstate.EntityDiscovery", "reportError", "report", entity_pb2.UserFunctionError, empty_pb2.Empty),
    Method(
        "cloudstate.eventsourced.EventSourced",
        "handle",
        "eventsourced",
        event_sourced_pb2.EventSourcedStreamIn,
        event_sourced_pb2.EventSourcedStreamOut,
    ),
    Method(
        "cloudstate.valueentity.ValueEntity",
        "handle",
        "valueentity",
        value_entity_pb2.ValueEntityStreamIn,
        value_entity_pb2.ValueEntityStreamOut,
    ),
    Method("cloudstate.crdt.Crdt", "handle", "crdt", crdt_pb2.CrdtStreamIn, crdt_pb2.CrdtStreamOut),
    *(
        Method(_ACTION, name, "action", action_pb2.ActionCommand, action_pb2.ActionResponse)
        for name in ("handleUnary", "handleStreamedIn", "handleStreamedOut", "handleStreamed")
    ),
)

# Headers a relay must not copy from one call to the other: the transport sets them itself.
_OWN_HEADERS = ("content-type", "te", "user-agent", "grpc-", ":")


def passable(metadata: Any) -> Metadata:
    return tuple((k, v) for k, v in (metadata or ()) if not k.startswith(_OWN_HEADERS))


# Decides, for an in message of a call, whether a gate holds it (see Interceptor.hold).
Matcher = Callable[[StreamInfo, Message], bool]
# Turns a copy of an out message into what the proxy gets instead (see Interceptor.rewrite).
Transform = Callable[[Message], Message]


@dataclasses.dataclass(eq=False)
class Rewrite:
    """Replaces the out messages ``match`` accepts with ``transform`` of them, ``times`` times (None: until removed)."""

    match: Matcher
    transform: Transform
    times: int | None = 1
    #: How many messages it has replaced so far.
    applied: int = 0


class Gate:
    """Holds the in messages that ``match`` accepts until the TCK lets them through."""

    def __init__(self, match: Matcher, loop: asyncio.AbstractEventLoop, log_: Log) -> None:
        self.match = match
        self._loop = loop
        self._log = log_
        self.held: list[Record] = []
        self._events: list[asyncio.Event] = []
        self.opened = False

    async def pass_(self, record: Record) -> None:
        event = asyncio.Event()
        self.held.append(record)
        self._events.append(event)
        self._log.notify()
        if not self.opened:
            await event.wait()

    def release(self, index: int) -> None:
        """Let the ``index``-th held message through (thread-safe)."""
        self._loop.call_soon_threadsafe(self._events[index].set)

    def open(self) -> None:
        """Let everything through, held or still to come (thread-safe)."""

        def everything() -> None:
            self.opened = True
            for event in self._events:
                event.set()

        self._loop.call_soon_threadsafe(everything)

    def wait_held(self, count: int, timeout: float) -> list[Record] | None:
        """The first ``count`` held messages, once that many arrived."""
        return self._log.wait(lambda: list(self.held[:count]) if len(self.held) >= count else None, timeout)


@dataclasses.dataclass(frozen=True)
class _Headers:
    metadata: Metadata


@dataclasses.dataclass(frozen=True)
class _End:
    code: grpc.StatusCode
    details: str
    trailers: Metadata = ()


@dataclasses.dataclass
class Live:
    call: Any  # grpc.aio.StreamStreamCall
    outbox: asyncio.Queue[bytes | _Headers | _End]
    crashed: bool = False
    #: Set when the proxy's side of the call has ended (its status sent).
    ended: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


class Relays:
    """The relays of one interceptor: its upstream channel, its log, the open calls and the TCK's faults."""

    def __init__(self, channel: grpc.aio.Channel, log_: Log) -> None:
        self.channel = channel
        self.log = log_
        self.live: dict[int, Live] = {}
        self.gates: list[Gate] = []
        #: Entities (service, entity id) whose next failure reply gets Failure.restart set.
        self.restarts: set[tuple[str, str]] = set()
        #: The TCK's forgeries of user-function messages, tried in order; the first that matches applies.
        self.rewrites: list[Rewrite] = []

    def handler(self, method: Method) -> Callable[..., AsyncIterator[bytes]]:
        async def relay(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            async for item in self._relay(method, requests, context):
                yield item

        return relay

    async def _relay(
        self, method: Method, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[bytes]:
        info = self.log.open(method.path, method.protocol, context.peer(), passable(context.invocation_metadata()))
        call = self.channel.stream_stream(method.path)(metadata=info.metadata)
        live = self.live[info.id] = Live(call, asyncio.Queue())
        pump = asyncio.create_task(self._pump_in(info, method, requests, call))
        reader = asyncio.create_task(self._pump_out(info, method, live))
        finished = False
        try:
            while True:
                item = await live.outbox.get()
                if isinstance(item, _Headers):
                    await context.send_initial_metadata(item.metadata)
                    continue
                if isinstance(item, _End):
                    finished = True
                    context.set_trailing_metadata(item.trailers)
                    if item.code != grpc.StatusCode.OK:
                        await context.abort(item.code, item.details)
                    return
                yield item
        finally:
            del self.live[info.id]
            live.ended.set()
            if not finished:
                self.log.add(info.id, "cancelled")
            call.cancel()
            pump.cancel()
            reader.cancel()

    async def _pump_in(self, info: StreamInfo, method: Method, requests: AsyncIterator[bytes], call: Any) -> None:
        try:
            async for raw in requests:
                message = _decode(method.request, raw)
                info = self._identify(info, message)
                record = self.log.add(info.id, "in", message)
                for gate in [g for g in self.gates if not g.opened and g.match(info, message)]:
                    await gate.pass_(self.log.add(info.id, "held", message, note=f"held: #{record.seq}"))
                await call.write(raw)
            self.log.add(info.id, "half-close")
            await call.done_writing()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the upstream call ended first; the reader records how
            log.debug("relay stopped writing", extra={"stream": info.id, "error": repr(error)})

    def _identify(self, info: StreamInfo, message: Message) -> StreamInfo:
        if info.service:
            return info
        service, entity_id = identity(message)
        if service:
            self.log.identify(info.id, service, entity_id)
            return self.log.stream(info.id)
        return info

    async def _pump_out(self, info: StreamInfo, method: Method, live: Live) -> None:
        trailers: Metadata = ()
        try:
            await live.outbox.put(_Headers(passable(await live.call.initial_metadata())))
            while (raw := await live.call.read()) is not grpc.aio.EOF:
                message = _decode(method.response, raw)
                note = ""
                if self._restart_injected(info.id, message):
                    raw, note = message.SerializeToString(), "restart injected by the TCK"
                elif (forged := self._rewritten(info.id, message)) is not None:
                    note = f"forged by the TCK; the user function sent {_one_line(message)}"
                    message, raw = forged, forged.SerializeToString()
                self.log.add(info.id, "out", message, note=note)
                await live.outbox.put(raw)
            code, details = await live.call.code(), await live.call.details()
            trailers = passable(await live.call.trailing_metadata())
        except grpc.aio.AioRpcError as error:
            code, details = error.code(), error.details() or ""
            trailers = passable(error.trailing_metadata())
        if live.crashed:
            return
        self.log.add(info.id, "end", code=code, details=details or "")
        await live.outbox.put(_End(code, details or "", trailers))

    def _restart_injected(self, stream: int, message: Message) -> bool:
        info = self.log.stream(stream)
        if info.key not in self.restarts or info.protocol not in ("eventsourced", "valueentity"):
            return False
        out: Any = message
        if out.WhichOneof("message") != "reply" or out.reply.client_action.WhichOneof("action") != "failure":
            return False
        self.restarts.discard(info.key)
        out.reply.client_action.failure.restart = True
        return True

    def _rewritten(self, stream: int, message: Message) -> Message | None:
        info = self.log.stream(stream)
        for rewrite in self.rewrites:
            if rewrite.match(info, message):
                rewrite.applied += 1
                if rewrite.times is not None and rewrite.applied >= rewrite.times:
                    self.rewrites.remove(rewrite)
                copy = type(message)()
                copy.CopyFrom(message)
                return rewrite.transform(copy)
        return None

    async def crash(self, stream: int, details: str) -> bool:
        live = self.live.get(stream)
        if live is None or live.crashed:
            return False
        live.crashed = True
        self.log.add(stream, "crash", code=grpc.StatusCode.INTERNAL, details=details)
        await live.outbox.put(_End(grpc.StatusCode.INTERNAL, details))
        live.call.cancel()
        # Return once the proxy's side has its status: a command the TCK sends next must find the stream ended,
        # not race the end to it (which the spec allows, but which leaves a scenario unable to say what follows).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.ended.wait(), 5.0)
        return True


def identity(message: Message) -> tuple[str, str]:
    """(service, entity id) from an init message or the first ActionCommand of a call; empty when neither."""
    if isinstance(message, action_pb2.ActionCommand):
        return message.service_name, ""
    which = message.WhichOneof("message") if "message" in message.DESCRIPTOR.oneofs_by_name else None
    if which == "init":
        init: Any = getattr(message, "init")  # noqa: B009 (the three entity protocols' init messages)
        return init.service_name, init.entity_id
    return "", ""


def _one_line(message: Message) -> str:
    return f"{type(message).__name__}{{{text_format.MessageToString(message, as_one_line=True)}}}"


def _decode(kind: type[Message], raw: bytes) -> Message:
    message = kind()
    with contextlib.suppress(DecodeError):
        message.ParseFromString(raw)
    return message
