"""The TCK as a client of the CRDT model services, on the proxy under test and on its replica.

:class:`CrdtClient` adds the CRDT model's stubs to :class:`~tck.proxy.client.ProxyClient`
and a server-streaming call over HTTP (:class:`HttpStream`, newline-delimited
JSON, HTTP-043), which reads like a gRPC stream: ``receive`` gives a message,
the call's end (:class:`~tck.sdk.streams.Closed`) or silence, and ``cancel``
closes the connection (which the proxy must take as a cancel, HTTP-049).
The clients of one harness are made once and closed with it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import weakref
from typing import Any, Protocol

import grpc
from cloudstate.tck.model import crdt_pb2 as model_pb2
from cloudstate.tck.model import crdt_pb2_grpc
from google.protobuf import json_format

from tck.proxy.client import _CODES, Headers, ProxyClient
from tck.proxy.harness import Harness
from tck.sdk.streams import Closed, Silence
from tck.suites import Endpoint

_STUBS = {
    "cloudstate.tck.model.crdt.CrdtTckModel": crdt_pb2_grpc.CrdtTckModelStub,
    "cloudstate.tck.model.crdt.CrdtTwo": crdt_pb2_grpc.CrdtTwoStub,
    "cloudstate.tck.model.crdt.CrdtConfigured": crdt_pb2_grpc.CrdtConfiguredStub,
}


class Stream(Protocol):
    """A streamed call as the machine reads it (a gRPC :class:`~tck.sdk.streams.DuplexStream` or HTTP)."""

    def receive(self, timeout: float | None = None) -> Any: ...
    def cancel(self) -> None: ...


class CrdtClient(ProxyClient):
    def _method(self, service: str, method: str) -> Any:
        stub = _STUBS.get(service)
        return getattr(stub(self._channel), method) if stub is not None else super()._method(service, method)

    def http_stream(self, path: str, request: model_pb2.StreamedRequest, headers: Headers = ()) -> HttpStream:
        return HttpStream(self.endpoint, path, json_format.MessageToDict(request), headers, self.timeout)


class HttpStream:
    def __init__(self, endpoint: Endpoint, path: str, body: dict[str, Any], headers: Headers, timeout: float) -> None:
        self._connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
        self._items: queue.Queue[Any] = queue.Queue()
        self._closed: Closed | None = None
        self._socket: socket.socket | None = None
        self.content_type = ""
        sent = {"Content-Type": "application/json", "Connection": "close", **dict(headers)}
        self._thread = threading.Thread(
            target=self._read, args=(path, json.dumps(body).encode(), sent), name="tck-http-stream", daemon=True
        )
        self._thread.start()

    def _read(self, path: str, data: bytes, headers: dict[str, str]) -> None:
        try:
            self._connection.request("POST", path, body=data, headers=headers)
            self._socket = self._connection.sock  # the response takes it over: the connection forgets it
            response = self._connection.getresponse()
            self.content_type = response.getheader("Content-Type") or ""
            if response.status != 200:
                self._items.put(_error(json.loads(response.read() or b"{}")))
                return
            while line := response.readline():
                parsed = json.loads(line)
                if "error" in parsed:
                    self._items.put(_error(parsed["error"]))
                    return
                self._items.put(json_format.ParseDict(parsed, model_pb2.Response()))
            self._items.put(Closed(grpc.StatusCode.OK, ""))
        except (OSError, ValueError, json_format.ParseError) as error:
            self._items.put(Closed(grpc.StatusCode.UNAVAILABLE, f"HTTP stream broken: {error}"))

    def receive(self, timeout: float | None = None) -> Any:
        if self._closed is not None:
            return self._closed
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            return Silence(timeout or 0.0)
        if isinstance(item, Closed):
            self._closed = item
        return item

    def cancel(self) -> None:
        """Close the connection: the client has gone away."""
        with contextlib.suppress(OSError):
            if self._socket is not None:
                self._socket.shutdown(socket.SHUT_RDWR)
        self._connection.close()
        self._thread.join(timeout=5)


def _error(problem: Any) -> Closed:
    try:
        return Closed(_CODES[int(problem["code"])], str(problem["message"]))
    except (KeyError, TypeError, ValueError):
        return Closed(grpc.StatusCode.UNKNOWN, str(problem))


_CLIENTS: weakref.WeakKeyDictionary[Harness, dict[str, CrdtClient]] = weakref.WeakKeyDictionary()


def clients(h: Harness) -> dict[str, CrdtClient]:
    """The CRDT clients of a harness by proxy name ("main", and "replica" when the run has one)."""
    made = _CLIENTS.get(h)
    if made is None:
        made = {"main": CrdtClient(h.client.endpoint)}
        if h.ctx.replica is not None:
            made["replica"] = CrdtClient(h.ctx.replica)
        for client in made.values():
            weakref.finalize(h, client.close)
        _CLIENTS[h] = made
    return made
