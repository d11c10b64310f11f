"""The seam between ingress (gRPC, HTTP/JSON) and the entity engines.

Ingress code decodes a client's request into a :class:`Call` and hands it to
an :class:`Invoker`; the invoker routes it to the right engine (event sourced,
value entity, CRDT, action) and returns the reply, or raises a
:class:`~cloudstate_proxy.errors.ProxyError`. Neither side knows the other's
transport: the gRPC servicer and the HTTP transcoder both speak only this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Protocol

from google.protobuf import message


@dataclasses.dataclass(frozen=True)
class MetadataEntry:
    key: str
    value: str | bytes


@dataclasses.dataclass(frozen=True)
class Call:
    """Which method a client calls, and the request metadata (headers) it sent."""

    service: str  # fully qualified, e.g. "com.example.shoppingcart.ShoppingCart"
    method: str  # e.g. "AddItem"
    metadata: tuple[MetadataEntry, ...] = ()


@dataclasses.dataclass(frozen=True)
class Response:
    """One message for the client, with the metadata that becomes response headers."""

    message: message.Message  # an instance of the method's output type
    metadata: tuple[MetadataEntry, ...] = ()
    #: The message's bytes exactly as the user function sent them, when the proxy has them; gRPC ingress
    #: sends these byte for byte (spec CMD-017), HTTP/JSON renders ``message``.
    raw: bytes | None = None


class Invoker(Protocol):
    """Runs calls against the user function's services (implemented by the proxy core)."""

    async def unary(self, call: Call, request: message.Message) -> Response:
        """A unary call: exactly one response, or a ProxyError.

        ``request`` is an instance of the method's input type.
        """
        ...

    def server_streaming(self, call: Call, request: message.Message) -> AsyncIterator[Response]:
        """A server-streaming call: responses as they come; a ProxyError ends the stream."""
        ...

    async def client_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> Response:
        """A client-streaming call (actions only)."""
        ...

    def bidi_streaming(self, call: Call, requests: AsyncIterator[message.Message]) -> AsyncIterator[Response]:
        """A duplex call (actions only)."""
        ...
