"""Raw HTTP exchanges with the proxy's public port: HTTP/1.1, cleartext HTTP/2 (prior knowledge), oversized bodies.

:class:`~tck.proxy.client.ProxyClient` parses a 2xx answer into the method's
output message; the ``proxy/http`` suite needs the answer as sent (status,
headers, exact bytes), any HTTP method and content type, and the raw socket
to close a stream early. Every function returns a :class:`Reply` and never
raises for a broken exchange: status 0 says the connection failed, and the
body then says why, so that a check can show it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import select
import socket
from collections.abc import Sequence

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from tck.proxy.harness import json_body
from tck.suites import Endpoint

Headers = Sequence[tuple[str, str]]
JSON = (("Content-Type", "application/json"),)


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]  # names in lower case
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def json(self) -> object:
        return json_body(self.body)

    def describe(self) -> str:
        shown = ", ".join(f"{k}: {v}" for k, v in self.headers if k in ("content-type", "allow"))
        return f"HTTP {self.status} [{shown}] {self.body[:300].decode(errors='replace')!r}"


def failed(error: Exception) -> Reply:
    return Reply(0, (), f"the exchange failed: {type(error).__name__}: {error}".encode())


def request(
    endpoint: Endpoint, method: str, path: str, body: bytes = b"", headers: Headers = JSON, timeout: float = 10.0
) -> Reply:
    """One HTTP/1.1 request on a connection of its own (closed after, so no idle connection outlives it)."""
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Connection": "close", **dict(headers)})
        answer = connection.getresponse()
        raw = answer.read()
        return Reply(answer.status, tuple((k.lower(), v) for k, v in answer.getheaders()), raw)
    except (OSError, http.client.HTTPException) as error:
        return failed(error)
    finally:
        connection.close()


def request_h2c(
    endpoint: Endpoint, method: str, path: str, body: bytes = b"", headers: Headers = JSON, timeout: float = 10.0
) -> Reply:
    """One request over cleartext HTTP/2 with prior knowledge (RFC 9113 section 3.3), as h2c clients send it."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as sock:
            connection.initiate_connection()
            stream = connection.get_next_available_stream_id()
            pseudo = [(":method", method), (":scheme", "http"), (":authority", endpoint.target), (":path", path)]
            sent = [*pseudo, *((k.lower(), v) for k, v in headers), ("content-length", str(len(body)))]
            connection.send_headers(stream, sent, end_stream=not body)
            if body:
                connection.send_data(stream, body, end_stream=True)  # the TCK's bodies fit the initial window
            sock.sendall(connection.data_to_send())
            return _h2_answer(sock, connection, stream)
    except (OSError, h2.exceptions.ProtocolError) as error:
        return failed(error)


def _h2_answer(sock: socket.socket, connection: h2.connection.H2Connection, stream: int) -> Reply:
    status, data = 0, bytearray()
    got: tuple[tuple[str, str], ...] = ()
    while chunk := sock.recv(65536):
        for event in connection.receive_data(chunk):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                pairs = [(_text(k), _text(v)) for k, v in event.headers or ()]
                status = int(dict(pairs).get(":status", "0"))
                got = tuple((k, v) for k, v in pairs if not k.startswith(":"))
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                data += event.data or b""
                connection.acknowledge_received_data(event.flow_controlled_length or 0, stream)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                return Reply(status, got, bytes(data))
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                return Reply(status, got, bytes(data) or f"stream reset: error code {event.error_code}".encode())
            elif isinstance(event, h2.events.ConnectionTerminated):
                return Reply(status, got, bytes(data) or f"connection terminated: {event.error_code}".encode())
        sock.sendall(connection.data_to_send())
    return Reply(status, got, bytes(data) or b"the connection closed before the stream ended")


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def send_large(endpoint: Endpoint, path: str, body: bytes, timeout: float = 10.0) -> Reply:
    """POST ``body`` in pieces, stopping early when the proxy answers before it has read it all (as a 413 may)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {endpoint.target}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as sock:
            sock.sendall(head)
            with contextlib.suppress(ConnectionError):  # the proxy may close once it has answered
                for start in range(0, len(body), 1 << 20):
                    if select.select([sock], [], [], 0)[0]:
                        break
                    sock.sendall(body[start : start + (1 << 20)])
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            return Reply(answer.status, tuple((k.lower(), v) for k, v in answer.getheaders()), answer.read())
    except (OSError, http.client.HTTPException) as error:
        return failed(error)


def open_request(endpoint: Endpoint, path: str, body: bytes, headers: Headers, timeout: float = 10.0) -> socket.socket:
    """Send a POST and return its socket unread, for a client that goes away before the answer."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {endpoint.target}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (*JSON, *headers)]
    sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock
