"""The TCK as the proxy's client: the TCK model services over gRPC and over HTTP/JSON, synchronously.

Calls never raise for a failed call: an :class:`Answer` holds the gRPC status
(or the HTTP status and body) as values, so that checks can compare them.
Unary calls also come as futures (:meth:`ProxyClient.start`), so that the TCK
can look at what the proxy does while the answer is pending.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import http.client
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import grpc
from cloudstate.tck.model import action_pb2_grpc, eventsourced_pb2_grpc, valueentity_pb2_grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.message import Message

from tck.sdk.streams import Closed, DuplexStream, status_of
from tck.suites import Endpoint

Headers = Sequence[tuple[str, str]]
_STUBS = {
    "cloudstate.tck.model.EventSourcedTckModel": eventsourced_pb2_grpc.EventSourcedTckModelStub,
    "cloudstate.tck.model.EventSourcedTwo": eventsourced_pb2_grpc.EventSourcedTwoStub,
    "cloudstate.tck.model.EventSourcedConfigured": eventsourced_pb2_grpc.EventSourcedConfiguredStub,
    "cloudstate.tck.model.valueentity.ValueEntityTckModel": valueentity_pb2_grpc.ValueEntityTckModelStub,
    "cloudstate.tck.model.valueentity.ValueEntityTwo": valueentity_pb2_grpc.ValueEntityTwoStub,
    "cloudstate.tck.model.valueentity.ValueEntityConfigured": valueentity_pb2_grpc.ValueEntityConfiguredStub,
    "cloudstate.tck.model.action.ActionTckModel": action_pb2_grpc.ActionTckModelStub,
    "cloudstate.tck.model.action.ActionTwo": action_pb2_grpc.ActionTwoStub,
}


@dataclasses.dataclass(frozen=True)
class Answer:
    """How a call ended: status, the response messages, headers; for HTTP also the status and raw body."""

    code: grpc.StatusCode
    details: str = ""
    messages: tuple[Message, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    http_status: int | None = None
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return bool(self.code == grpc.StatusCode.OK)

    @property
    def message(self) -> Message | None:
        return self.messages[0] if self.messages else None

    def describe(self) -> str:
        if self.http_status is not None:
            return f"HTTP {self.http_status} {self.body.decode(errors='replace')}"
        shown = ", ".join(f"{type(m).__name__}{{{json_format.MessageToJson(m, indent=None)}}}" for m in self.messages)
        return f"{self.code.name} {self.details!r} [{shown}]"


class Pending:
    """A call in progress: ``done()`` without blocking, ``result()`` waits."""

    def __init__(self, future: Any, finish: Callable[[Any, float | None], Answer]) -> None:
        self._future = future
        self._finish = finish

    def done(self) -> bool:
        return bool(self._future.done())

    def result(self, timeout: float | None = None) -> Answer:
        """The answer; DEADLINE_EXCEEDED (as a value) when it did not come within ``timeout``."""
        try:
            return self._finish(self._future, timeout)
        except (grpc.FutureTimeoutError, concurrent.futures.TimeoutError):
            return Answer(grpc.StatusCode.DEADLINE_EXCEEDED, f"no answer within {timeout} s (the TCK's wait)")

    def on_done(self, callback: Callable[[], None]) -> None:
        self._future.add_done_callback(lambda _: callback())


def output_type(service: str, method: str) -> type[Message]:
    """The message class of a method's output, from the generated descriptors."""
    descriptor = descriptor_pool.Default().FindServiceByName(service).methods_by_name[method]
    kind: type[Message] = message_factory.GetMessageClass(descriptor.output_type)
    return kind


class ProxyClient:
    def __init__(self, endpoint: Endpoint, timeout: float = 30.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._channel = grpc.insecure_channel(endpoint.target)
        self._http = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="tck-http")

    def close(self) -> None:
        self._channel.close()
        self._http.shutdown(wait=False, cancel_futures=True)

    def reconnect(self) -> None:
        """A fresh channel (after the proxy restarted: the old one may be waiting out a backoff)."""
        self._channel.close()
        self._channel = grpc.insecure_channel(self.endpoint.target)

    def _method(self, service: str, method: str) -> Any:
        return getattr(_STUBS[service](self._channel), method)

    # -- gRPC ------------------------------------------------------------------------------------------------

    def start(self, service: str, method: str, request: Message, metadata: Headers = ()) -> Pending:
        """A unary call, in the background."""
        future = self._method(service, method).future(request, metadata=tuple(metadata), timeout=self.timeout)
        return Pending(future, _unary_answer)

    def unary(self, service: str, method: str, request: Message, metadata: Headers = ()) -> Answer:
        return self.start(service, method, request, metadata).result()

    def raw_unary(self, path: str, payload: bytes) -> Answer:
        """A unary call of any path with a raw request (for methods the proxy should not serve)."""
        try:
            self._channel.unary_unary(path)(payload, timeout=self.timeout)
        except grpc.RpcError as error:
            closed = status_of(error)
            return Answer(closed.code, closed.details)
        return Answer(grpc.StatusCode.OK)

    def start_streamed_in(
        self, service: str, method: str, requests: Iterable[Message], metadata: Headers = ()
    ) -> Pending:
        """A client-streaming call sending ``requests`` and half-closing, in the background."""
        call = self._method(service, method).future(
            iter(list(requests)), metadata=tuple(metadata), timeout=self.timeout
        )
        return Pending(call, _unary_answer)

    def server_streaming(
        self, service: str, method: str, request: Message, metadata: Headers = ()
    ) -> DuplexStream[Any, Any]:
        """A streamed-out call, read message by message (``receive``) until its end (a :class:`Closed`)."""
        start = self._method(service, method)
        return DuplexStream(lambda _: start(request, metadata=tuple(metadata)), self.timeout)

    def duplex(self, service: str, method: str, metadata: Headers = ()) -> DuplexStream[Any, Any]:
        start = self._method(service, method)
        return DuplexStream(lambda requests: start(requests, metadata=tuple(metadata)), self.timeout)

    # -- HTTP/JSON -------------------------------------------------------------------------------------------

    def post(
        self, path: str, body: dict[str, Any] | str | bytes, response: type[Message], headers: Headers = ()
    ) -> Pending:
        """POST a JSON body in the background; the answer's messages hold the parsed response (on 2xx)."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body
        work = self._http.submit(self._post, path, data, response, tuple(headers))
        return Pending(work, lambda f, timeout: f.result(timeout))

    def _post(self, path: str, data: bytes, response: type[Message], headers: Headers) -> Answer:
        connection = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port, timeout=self.timeout)
        try:
            # Connection: close, so that no idle connection keeps a proxy's graceful shutdown waiting.
            sent = {"Content-Type": "application/json", "Connection": "close", **dict(headers)}
            connection.request("POST", path, body=data, headers=sent)
            reply = connection.getresponse()
            raw = reply.read()
            status, got = reply.status, tuple((k.lower(), v) for k, v in reply.getheaders())
        except OSError as error:
            return Answer(grpc.StatusCode.UNAVAILABLE, f"HTTP request failed: {error}", http_status=0)
        finally:
            connection.close()
        return http_answer(status, got, raw, response)


def http_answer(status: int, headers: tuple[tuple[str, str], ...], raw: bytes, response: type[Message]) -> Answer:
    """An Answer from an HTTP response: a JSON message on 2xx, else the error object's code and message."""
    if 200 <= status < 300:
        message = response()
        try:
            json_format.Parse(raw or b"{}", message)
        except (json_format.ParseError, UnicodeDecodeError) as error:
            return Answer(
                grpc.StatusCode.INTERNAL, f"not a {response.__name__} in JSON: {error}", (), headers, status, raw
            )
        return Answer(grpc.StatusCode.OK, "", (message,), headers, status, raw)
    try:
        problem = json.loads(raw)
        code, details = _CODES[int(problem["code"])], str(problem["message"])
    except (ValueError, KeyError, TypeError):
        code, details = grpc.StatusCode.UNKNOWN, ""
    return Answer(code, details, (), headers, status, raw)


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _unary_answer(call: Any, timeout: float | None = None) -> Answer:
    try:
        message = call.result(timeout)
    except grpc.RpcError as error:
        closed: Closed = status_of(error)
        return Answer(closed.code, closed.details)
    headers = tuple((k, v) for k, v in (call.initial_metadata() or ()) if isinstance(v, str))
    return Answer(grpc.StatusCode.OK, "", (message,), headers)
