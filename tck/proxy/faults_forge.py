"""What the scenarios of ``proxy/faults`` share: the entity kinds, matchers for the interceptor, calls and waits.

A scenario lets the TCK model user function answer as usual and has the
interceptor replace one of its messages (:meth:`Interceptor.rewrite`) before
the proxy sees it; :class:`Faults` then calls the proxy, reads state back
through later commands, and looks at the reportError calls and streams the
interceptor recorded.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from tck.models import eventsourced as es
from tck.models import valueentity as ve
from tck.proxy.calls import command_of
from tck.proxy.client import Answer, Pending
from tck.proxy.harness import Harness, answered
from tck.proxy.records import StreamInfo
from tck.proxy.relay import Matcher
from tck.wire import eventsourced as es_wire
from tck.wire import valueentity as ve_wire


@dataclasses.dataclass(frozen=True)
class Kind:
    """An entity type of the TCK model, as the fault scenarios use it."""

    service: str
    http_path: str
    change: Callable[[str], Any]  # the model action that makes the state "<value>" from ""
    request: Callable[[str, Sequence[Any]], Message]
    response: Callable[[str], Message]  # the response to Process with this message


VE = Kind(ve.SERVICE, "/tck/model/entity/", ve.Update, ve_wire.request, ve_wire.response)
ES = Kind(es.SERVICE, "/tck/model/eventsourced/", es.Emit, es_wire.request, es_wire.response)


def replies(service: str, entity: str) -> Matcher:
    """The entity's next reply (not a stream-level failure)."""
    return lambda info, message: info.key == (service, entity) and _which(message) == "reply"


def commands(service: str, entity: str) -> Matcher:
    """The commands the proxy sends to the entity."""
    return lambda info, message: info.key == (service, entity) and _which(message) == "command"


def action_responses(service: str) -> Matcher:
    return lambda info, message: info.protocol == "action" and info.service == service


def _which(message: Message) -> str | None:
    return message.WhichOneof("message") if "message" in message.DESCRIPTOR.oneofs_by_name else None


def mentions(text: str, number: int) -> bool:
    """Whether ``text`` has ``number`` as a number of its own (not as digits of an id or another number)."""
    return re.search(rf"(?<![\w.]){number}(?![\w.])", text) is not None


class Faults:
    """One scenario's helper: fresh entity names, calls that note the transcript, reads of what was recorded."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.prefix = h.fresh()
        self.begin = h.icp.mark()

    def __enter__(self) -> Faults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.h.noted(self.begin)  # the interceptor's records, forged messages included, explain any failure

    def entity(self, name: str) -> str:
        return self.prefix + name

    def start(self, kind: Kind, entity: str, actions: Sequence[Any], via: str = "grpc") -> Pending:
        request = kind.request(entity, actions)
        self.h.note(
            f"client -> proxy ({via}): {kind.service}/Process {json_format.MessageToJson(request, indent=None)}"
        )
        if via == "grpc":
            return self.h.client.start(kind.service, "Process", request)
        body = json_format.MessageToDict(request)
        del body["id"]  # it is in the path
        return self.h.client.post(kind.http_path + quote(entity, safe=""), body, type(kind.response("")))

    def process(self, kind: Kind, entity: str, actions: Sequence[Any], via: str = "grpc") -> Answer:
        return self.result(self.start(kind, entity, actions, via))

    def result(self, pending: Pending) -> Answer:
        answer = pending.result(self.h.bounds.wait)
        self.h.note(answered(answer))
        return answer

    def reload(self, kind: Kind, entity: str) -> Answer:
        """Read the entity's state from the store: crash its stream, so that the next command starts a new one.

        The user function's own state could hide what the proxy wrote. A command that reaches the proxy before
        it noticed the crash may fail; one retry then finds the new stream.
        """
        stream = self.command_stream(kind.service, entity, self.begin)
        if stream is not None and self.h.icp.crash(stream.id):
            self.h.note(f"TCK: crashed stream #{stream.id} of {entity!r} to read what was stored")
        answer = self.process(kind, entity, [])
        if answer.code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE):
            answer = self.process(kind, entity, [])
        return answer

    def replied(self, answer: Answer, kind: Kind, message: str) -> bool:
        return answer.ok and list(answer.messages) == [kind.response(message)]

    def command_stream(self, service: str, entity: str, since: int) -> StreamInfo | None:
        """The stream of the last command sent to the entity since the mark."""
        found = None
        for record in self.h.icp.records(since):
            if record.kind == "in" and command_of(record.message) is not None:
                info = self.h.icp.stream(record.stream)
                found = info if info.key == (service, entity) else found
        return found

    def starts_with_init(self, stream: StreamInfo) -> bool:
        first = next((r.message for r in self.h.icp.messages(stream.id) if r.kind == "in"), None)
        return first is not None and _which(first) == "init"

    def report(self, since: int, *needles: str, unless: str = "") -> str | None:
        """The first reportError message since the mark with every needle (and not ``unless``); waits for it."""

        def wanted(text: str) -> bool:
            return all(n in text for n in needles) and not (unless and unless in text)

        def found() -> str | None:
            return next((m for m in self.h.icp.reported_errors(since) if wanted(m)), None)

        return self.h.icp.wait(found, self.h.bounds.wait)

    def cancelled(self, stream: int) -> bool:
        """Whether the proxy cancelled the stream (it ends soon after a violation or a crash)."""
        closed = self.h.icp.wait_closed(stream, self.h.bounds.wait)
        return closed is not None and closed.end_kind == "cancelled"

    def calls_of(self, service: str, entity: str, since: int) -> int:
        """How many commands the proxy sent to an entity since the mark."""
        streams = {s.id for s in self.h.icp.log.streams(key=(service, entity), since=0)}
        records = self.h.icp.records(since)
        return sum(1 for r in records if r.stream in streams and r.kind == "in" and command_of(r.message) is not None)

    def internal_naming(self, answer: Answer, service: str, entity: str) -> bool:
        return answer.code == grpc.StatusCode.INTERNAL and service in answer.details and entity in answer.details
