"""A bidirectional gRPC stream driven step by step from synchronous code.

Hypothesis rules are synchronous, so the TCK uses the sync gRPC API: requests
come from a queue the caller feeds, and a reader thread moves every response
(and finally the way the stream ended) into a second queue that the caller
reads with a timeout. Nothing here knows about the protocol. A stream can
report every message it sends and receives, one line each, to a transcript.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

import grpc
from google.protobuf.message import Message

from tck.checks import render

In = TypeVar("In")
Out = TypeVar("Out")
#: Where a stream reports what crosses it: one compact line per message or event.
Record = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Closed:
    """The server ended the stream: with status OK, or with an error status and its details."""

    code: grpc.StatusCode
    details: str

    @property
    def ok(self) -> bool:
        return bool(self.code == grpc.StatusCode.OK)


@dataclasses.dataclass(frozen=True)
class Silence:
    """Nothing arrived within the timeout."""

    seconds: float


_END = object()


def transcript_line(item: object) -> str:
    """One line for a transcript: a message in text format, a stream's end, or a plain word."""
    if isinstance(item, Closed):
        return f"end {item.code.name}" + (f" {item.details!r}" if item.details else "")
    if isinstance(item, Message):
        return render(item)
    return str(item)


def status_of(error: grpc.RpcError) -> Closed:
    """The status of a failed call (every RpcError raised by a call is also a grpc.Call)."""
    call: grpc.Call = error
    return Closed(call.code(), call.details() or "")


class DuplexStream(Generic[In, Out]):
    """One open call: ``send`` requests, ``receive`` responses, ``half_close`` or ``cancel`` it."""

    def __init__(
        self,
        start: Callable[[Iterator[In]], Iterator[Out]],
        timeout: float,
        record: Record | None = None,
        label: str = "stream",
    ) -> None:
        self.timeout = timeout
        self._record = record
        self.label = label
        self._requests: queue.Queue[object] = queue.Queue()
        self._responses: queue.Queue[Out | Closed] = queue.Queue()
        self._half_closed = False
        self._closed: Closed | None = None
        self._call = start(self._outgoing())
        self._reader = threading.Thread(target=self._read, name="tck-stream-reader", daemon=True)
        self._reader.start()

    def _outgoing(self) -> Iterator[In]:
        while (item := self._requests.get()) is not _END:
            yield item  # type: ignore[misc]

    def _note(self, arrow: str, item: object) -> None:
        if self._record is not None:
            self._record(f"{self.label} {arrow} {transcript_line(item)}")

    def _read(self) -> None:
        # Received messages are noted as they arrive: the transcript shows the order on the wire.
        end: Closed
        try:
            for response in self._call:
                self._note("<", response)
                self._responses.put(response)
            end = Closed(grpc.StatusCode.OK, "")
        except grpc.RpcError as error:
            end = status_of(error)
        self._note("<", end)
        self._responses.put(end)

    def send(self, *messages: In) -> None:
        if self._half_closed:
            raise RuntimeError("send after half-close")
        for message in messages:
            self._note(">", message)
            self._requests.put(message)

    def receive(self, timeout: float | None = None) -> Out | Closed | Silence:
        """The next response, the stream's end, or Silence when nothing came in time."""
        if self._closed is not None:
            return self._closed
        wait = self.timeout if timeout is None else timeout
        try:
            item = self._responses.get(timeout=wait)
        except queue.Empty:
            return Silence(wait)
        if isinstance(item, Closed):
            self._closed = item
        return item

    def half_close(self) -> None:
        """Tell the server we send nothing more (passivation, end of a client stream)."""
        if not self._half_closed:
            self._half_closed = True
            self._note(">", "half-close")
            self._requests.put(_END)

    def cancel(self) -> None:
        """Abandon the call; safe to call at any time and more than once."""
        self.half_close()
        if self._closed is None:
            self._note(">", "cancel")
        self._call.cancel()  # type: ignore[attr-defined]
        self._reader.join(timeout=self.timeout)

    @property
    def closed(self) -> Closed | None:
        return self._closed
