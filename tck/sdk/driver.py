"""The TCK's connection to a user function: the calls a proxy would make, synchronously.

One :class:`UserFunction` owns one gRPC channel to the address under test and
opens the protocol's calls on it: discovery, entity streams (event sourced,
value entity, CRDT) and the four action shapes. Calls that end with an error status
return :class:`Closed` instead of raising, and waits that run out return
:class:`Silence`, so callers can turn both into check failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import grpc
from cloudstate import (
    action_pb2,
    action_pb2_grpc,
    crdt_pb2,
    crdt_pb2_grpc,
    entity_pb2,
    entity_pb2_grpc,
    event_sourced_pb2,
    event_sourced_pb2_grpc,
    value_entity_pb2,
    value_entity_pb2_grpc,
)
from google.protobuf.message import Message

from tck.sdk.streams import Closed, DuplexStream, status_of, transcript_line

EventSourcedStream = DuplexStream[event_sourced_pb2.EventSourcedStreamIn, event_sourced_pb2.EventSourcedStreamOut]
ValueEntityStream = DuplexStream[value_entity_pb2.ValueEntityStreamIn, value_entity_pb2.ValueEntityStreamOut]
CrdtStream = DuplexStream[crdt_pb2.CrdtStreamIn, crdt_pb2.CrdtStreamOut]
ActionStream = DuplexStream[action_pb2.ActionCommand, action_pb2.ActionResponse]

DEFAULT_TIMEOUT = 5.0
#: A transcript stops growing here (one example of a deep profile stays well below it).
TRANSCRIPT_LIMIT = 5000
#: Longer lines are cut: a line is for reading, and payloads are short in the TCK model.
LINE_LIMIT = 2000


class UserFunction:
    """A user function at ``address`` ("host:port"), as the proxy sees it."""

    def __init__(self, address: str, timeout: float = DEFAULT_TIMEOUT, transcript: list[str] | None = None) -> None:
        self.address = address
        self.timeout = timeout
        #: Lines of what was sent and received; the caller clears it when an example starts.
        self.transcript = transcript
        self._calls = 0
        self._channel = grpc.insecure_channel(address)
        self._discovery = entity_pb2_grpc.EntityDiscoveryStub(self._channel)
        self._event_sourced = event_sourced_pb2_grpc.EventSourcedStub(self._channel)
        self._value_entity = value_entity_pb2_grpc.ValueEntityStub(self._channel)
        self._crdt = crdt_pb2_grpc.CrdtStub(self._channel)
        self._action = action_pb2_grpc.ActionProtocolStub(self._channel)

    def wait_ready(self, seconds: float) -> bool:
        """Whether the channel connects within ``seconds``."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=seconds)
        except grpc.FutureTimeoutError:
            return False
        return True

    def close(self) -> None:
        self._channel.close()

    def _record(self, line: str) -> None:
        if self.transcript is None or len(self.transcript) > TRANSCRIPT_LIMIT:
            return
        if len(self.transcript) == TRANSCRIPT_LIMIT:
            line = f"... (the transcript stops after {TRANSCRIPT_LIMIT} lines)"
        elif len(line) > LINE_LIMIT:
            line = f"{line[:LINE_LIMIT]}... ({len(line) - LINE_LIMIT} more characters)"
        self.transcript.append(line)

    def _label(self, kind: str) -> str:
        if not self.transcript:  # a fresh (or just cleared) transcript numbers its calls from 1
            self._calls = 0
        self._calls += 1
        return f"{kind}#{self._calls}"

    def _note(self, label: str, arrow: str, item: object) -> None:
        if self.transcript is not None:
            self._record(f"{label} {arrow} {transcript_line(item)}")

    def _unary(self, kind: str, call: Callable[[Message], Message], request: Message) -> Message | Closed:
        """A unary call, noted in the transcript; an error status comes back as Closed."""
        label = self._label(kind)
        self._note(label, ">", request)
        try:
            response = call(request)
        except grpc.RpcError as error:
            closed = status_of(error)
            self._note(label, "<", closed)
            return closed
        self._note(label, "<", _brief(response))
        return response

    def discover(self, info: entity_pb2.ProxyInfo) -> entity_pb2.EntitySpec | Closed:
        spec = self._unary("discover", lambda r: self._discovery.discover(r, timeout=self.timeout), info)
        assert isinstance(spec, entity_pb2.EntitySpec | Closed)
        return spec

    def report_error(self, message: str) -> Closed | None:
        call = self._discovery.reportError
        answer = self._unary(
            "report-error", lambda r: call(r, timeout=self.timeout), entity_pb2.UserFunctionError(message=message)
        )
        return answer if isinstance(answer, Closed) else None

    def _stream(self, kind: str, start: Callable[[Any], Any], first: Message | None = None) -> Any:
        """A new stream; ``first`` is a request the call itself carries (streamed-out), noted before any answer."""
        label = self._label(kind)
        if first is not None:
            self._note(label, ">", first)
        record = self._record if self.transcript is not None else None
        return DuplexStream(start, self.timeout, record, label)

    def event_sourced(self) -> EventSourcedStream:
        stream: EventSourcedStream = self._stream("es", self._event_sourced.handle)
        return stream

    def value_entity(self) -> ValueEntityStream:
        stream: ValueEntityStream = self._stream("ve", self._value_entity.handle)
        return stream

    def crdt(self) -> CrdtStream:
        stream: CrdtStream = self._stream("crdt", self._crdt.handle)
        return stream

    def action_unary(self, command: action_pb2.ActionCommand) -> action_pb2.ActionResponse | Closed:
        response = self._unary("unary", lambda r: self._action.handleUnary(r, timeout=self.timeout), command)
        assert isinstance(response, action_pb2.ActionResponse | Closed)
        return response

    def action_streamed_in(self, commands: Iterable[action_pb2.ActionCommand]) -> action_pb2.ActionResponse | Closed:
        """Send every command, half-close, and wait for the single response."""
        label = self._label("streamed-in")
        sent = list(commands)
        for command in sent:
            self._note(label, ">", command)
        self._note(label, ">", "half-close")
        try:
            response: action_pb2.ActionResponse = self._action.handleStreamedIn(iter(sent), timeout=self.timeout)
        except grpc.RpcError as error:
            closed = status_of(error)
            self._note(label, "<", closed)
            return closed
        self._note(label, "<", response)
        return response

    def action_streamed_out(self, command: action_pb2.ActionCommand) -> ActionStream:
        """A streamed-out call: the one command is sent at once, responses are read from the stream."""
        stream: ActionStream = self._stream("streamed-out", lambda _: self._action.handleStreamedOut(command), command)
        return stream

    def action_streamed(self) -> ActionStream:
        stream: ActionStream = self._stream("streamed", self._action.handleStreamed)
        return stream


def _brief(message: Message) -> Message | str:
    """An EntitySpec without its descriptor bytes (thousands of unreadable characters); other messages as they are."""
    if not isinstance(message, entity_pb2.EntitySpec):
        return message
    copy = entity_pb2.EntitySpec()
    copy.CopyFrom(message)
    copy.ClearField("proto")
    return f"{transcript_line(copy)} (proto: {len(message.proto)} bytes)"
