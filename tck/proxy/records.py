"""What the interceptor saw: a totally ordered log of records, and what it knows about each intercepted call.

The interceptor's event loop appends; the TCK's synchronous code reads and
waits. Every record gets a sequence number from one counter, so "before" and
"after" between calls of different streams (and the client-side ``release``
markers the TCK adds when an answer reaches it) are exact, not a matter of
clock resolution. A record is taken *before* the interceptor passes the message
on, so a record of a message always precedes everything the message causes.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import grpc
from google.protobuf.message import Message

T = TypeVar("T")

#: open: the proxy started a call; in: a message proxy -> user function; half-close: the proxy completed its side;
#: out: a message user function -> proxy; end: the user function ended the call with a status; cancelled: the
#: proxy abandoned the call; crash: the TCK ended the call (a simulated entity crash); held: an in message a gate
#: stopped; release: the TCK's client got an answer (stream 0).
Kind = Literal["open", "in", "half-close", "out", "end", "cancelled", "crash", "held", "release"]
ENDINGS = ("end", "cancelled", "crash")
Metadata = tuple[tuple[str, str | bytes], ...]


@dataclasses.dataclass(frozen=True)
class Record:
    seq: int
    at: float  # time.monotonic()
    stream: int
    kind: Kind
    message: Message | None = None
    code: grpc.StatusCode | None = None
    details: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class StreamInfo:
    """One intercepted call, as known so far (a snapshot: ask the log again for news)."""

    id: int
    method: str  # the gRPC path, e.g. "/cloudstate.eventsourced.EventSourced/handle"
    protocol: str  # discovery, report, eventsourced, valueentity, crdt, action
    peer: str
    metadata: Metadata
    opened: int
    #: From the init message (entity streams) or the first ActionCommand (actions).
    service: str = ""
    entity_id: str = ""
    half_closed: int | None = None
    ended: int | None = None
    end_kind: str = ""
    code: grpc.StatusCode | None = None
    details: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.service, self.entity_id


class Log:
    """Records and streams behind one lock; :meth:`wait` blocks until a finder returns something."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._records: list[Record] = []
        self._base = 1  # the sequence number of _records[0]
        self._streams: dict[int, StreamInfo] = {}
        self._by_stream: dict[int, list[Record]] = {}  # each call's records (an index: the log gets long)
        self._by_key: dict[tuple[str, str], list[int]] = {}
        self._next_stream = 1

    def open(self, method: str, protocol: str, peer: str, metadata: Metadata) -> StreamInfo:
        with self._cond:
            stream_id, self._next_stream = self._next_stream, self._next_stream + 1
            info = StreamInfo(stream_id, method, protocol, peer, metadata, self._next_seq())
            self._streams[stream_id] = info
            self._append(Record(info.opened, time.monotonic(), stream_id, "open"))
            return info

    def identify(self, stream: int, service: str, entity_id: str) -> None:
        with self._cond:
            info = self._streams[stream]
            if not info.service:
                self._streams[stream] = dataclasses.replace(info, service=service, entity_id=entity_id)
                self._by_key.setdefault((service, entity_id), []).append(stream)

    def add(
        self,
        stream: int,
        kind: Kind,
        message: Message | None = None,
        code: grpc.StatusCode | None = None,
        details: str = "",
        note: str = "",
    ) -> Record:
        with self._cond:
            record = Record(self._next_seq(), time.monotonic(), stream, kind, message, code, details, note)
            info = self._streams.get(stream)
            if info is not None and kind == "half-close":
                self._streams[stream] = dataclasses.replace(info, half_closed=record.seq)
            elif info is not None and kind in ENDINGS and info.ended is None:
                self._streams[stream] = dataclasses.replace(
                    info, ended=record.seq, end_kind=kind, code=code, details=details
                )
            self._append(record)
            return record

    def _next_seq(self) -> int:
        return self._base + len(self._records)

    def _append(self, record: Record) -> None:
        self._records.append(record)
        self._by_stream.setdefault(record.stream, []).append(record)
        self._cond.notify_all()

    def notify(self) -> None:
        """Wake the waiters (after a change they may look for that is not a record)."""
        with self._cond:
            self._cond.notify_all()

    def mark(self) -> int:
        """The sequence number the next record will get."""
        with self._cond:
            return self._next_seq()

    def since(self, mark: int = 0) -> list[Record]:
        with self._cond:
            return self._records[max(0, mark - self._base) :]

    def stream(self, stream: int) -> StreamInfo:
        with self._cond:
            return self._streams[stream]

    def streams(
        self, protocol: str | None = None, key: tuple[str, str] | None = None, since: int = 0
    ) -> list[StreamInfo]:
        """The calls known (of a protocol, of an entity, opened since a mark), oldest first."""
        with self._cond:
            if key is not None:
                found = [self._streams[i] for i in self._by_key.get(key, ()) if i in self._streams]
            else:  # calls are kept in the order they opened: walk back from the newest to the mark
                found = []
                for info in reversed(self._streams.values()):
                    if info.opened < since:
                        break
                    found.append(info)
                found.reverse()
            return [s for s in found if (protocol is None or s.protocol == protocol) and s.opened >= since]

    def messages(self, stream: int) -> list[Record]:
        """The records of one stream, oldest first."""
        with self._cond:
            return list(self._by_stream.get(stream, ()))

    def wait(self, find: Callable[[], T | None], timeout: float) -> T | None:
        """Call ``find`` (under the log's lock) until it returns something, for up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (found := find()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return found

    def clear(self) -> None:
        """Forget every record and every call that has ended; open calls stay known."""
        with self._cond:
            self._base += len(self._records)
            self._records = []
            self._streams = {k: s for k, s in self._streams.items() if s.ended is None}
            self._by_stream = {k: [] for k in self._streams}
            self._by_key = {k: [i for i in ids if i in self._streams] for k, ids in self._by_key.items()}


def in_messages(records: Sequence[Record]) -> list[Message]:
    return [r.message for r in records if r.kind == "in" and r.message is not None]
