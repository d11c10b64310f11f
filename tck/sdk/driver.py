"""The TCK's connection to a user function: the calls a proxy would make, synchronously.

One :class:`UserFunction` owns one gRPC channel to the address under test and
opens the protocol's calls on it: discovery, entity streams (event sourced,
value entity) and the four action shapes. Calls that end with an error status
return :class:`Closed` instead of raising, and waits that run out return
:class:`Silence`, so callers can turn both into check failures.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from cloudstate import (
    action_pb2,
    action_pb2_grpc,
    entity_pb2,
    entity_pb2_grpc,
    event_sourced_pb2,
    event_sourced_pb2_grpc,
    value_entity_pb2,
    value_entity_pb2_grpc,
)

from tck.sdk.streams import Closed, DuplexStream, status_of

EventSourcedStream = DuplexStream[event_sourced_pb2.EventSourcedStreamIn, event_sourced_pb2.EventSourcedStreamOut]
ValueEntityStream = DuplexStream[value_entity_pb2.ValueEntityStreamIn, value_entity_pb2.ValueEntityStreamOut]
ActionStream = DuplexStream[action_pb2.ActionCommand, action_pb2.ActionResponse]

DEFAULT_TIMEOUT = 5.0


class UserFunction:
    """A user function at ``address`` ("host:port"), as the proxy sees it."""

    def __init__(self, address: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout
        self._channel = grpc.insecure_channel(address)
        self._discovery = entity_pb2_grpc.EntityDiscoveryStub(self._channel)
        self._event_sourced = event_sourced_pb2_grpc.EventSourcedStub(self._channel)
        self._value_entity = value_entity_pb2_grpc.ValueEntityStub(self._channel)
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

    def discover(self, info: entity_pb2.ProxyInfo) -> entity_pb2.EntitySpec | Closed:
        try:
            spec: entity_pb2.EntitySpec = self._discovery.discover(info, timeout=self.timeout)
        except grpc.RpcError as error:
            return status_of(error)
        return spec

    def report_error(self, message: str) -> Closed | None:
        try:
            self._discovery.reportError(entity_pb2.UserFunctionError(message=message), timeout=self.timeout)
        except grpc.RpcError as error:
            return status_of(error)
        return None

    def event_sourced(self) -> EventSourcedStream:
        return DuplexStream(self._event_sourced.handle, self.timeout)

    def value_entity(self) -> ValueEntityStream:
        return DuplexStream(self._value_entity.handle, self.timeout)

    def action_unary(self, command: action_pb2.ActionCommand) -> action_pb2.ActionResponse | Closed:
        try:
            response: action_pb2.ActionResponse = self._action.handleUnary(command, timeout=self.timeout)
        except grpc.RpcError as error:
            return status_of(error)
        return response

    def action_streamed_in(self, commands: Iterable[action_pb2.ActionCommand]) -> action_pb2.ActionResponse | Closed:
        """Send every command, half-close, and wait for the single response."""
        try:
            response: action_pb2.ActionResponse = self._action.handleStreamedIn(
                iter(list(commands)), timeout=self.timeout
            )
        except grpc.RpcError as error:
            return status_of(error)
        return response

    def action_streamed_out(self, command: action_pb2.ActionCommand) -> ActionStream:
        """A streamed-out call: the one command is sent at once, responses are read from the stream."""
        stream: ActionStream = DuplexStream(lambda _: self._action.handleStreamedOut(command), self.timeout)
        return stream

    def action_streamed(self) -> ActionStream:
        return DuplexStream(self._action.handleStreamed, self.timeout)
