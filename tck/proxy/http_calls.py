"""What the ``proxy/http`` scenarios and machine share: the model's routes, scripts, what reached the user function.

Every request carries the TCK's ``x-tck-step`` header with a value unique to
it; HTTP headers become metadata (META-013), so the commands a request caused
are found again in the interceptor's log by that value.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from cloudstate import action_pb2
from cloudstate.tck.model import valueentity_pb2
from google.protobuf.message import Message

from tck.models import action, valueentity
from tck.proxy.calls import command_of, metadata_of
from tck.proxy.harness import HEADER, Harness
from tck.proxy.http_client import JSON, Headers, Reply, request
from tck.proxy.records import Record

UNARY = "/tck/model/action/unary"  # ActionTckModel/ProcessUnary's declared rule
ENTITY = "/tck/model/entity/"  # ValueEntityTckModel/Process: POST /tck/model/entity/{id}, body *
EVENTSOURCED = "/tck/model/eventsourced/"  # EventSourcedTckModel/Process
STREAMED_OUT = f"/{action.SERVICE}/ProcessStreamedOut"  # server streaming, no rule: the default binding
ACTION_TWO = f"/{action.TWO}/Call"
ENTITY_TWO = f"/{valueentity.TWO}/Call"
#: Methods that stream their requests: no binding at all (HTTP-007).
STREAMING_IN = (f"/{action.SERVICE}/ProcessStreamedIn", f"/{action.SERVICE}/ProcessStreamed")

_tags = itertools.count(1)


def reply(message: str) -> dict[str, Any]:
    return {"reply": {"message": message}}


def fail(message: str) -> dict[str, Any]:
    return {"fail": {"message": message}}


def script(*groups: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """An ActionTckModel Request in JSON: its groups of steps."""
    return {"groups": [{"steps": list(steps)} for steps in groups]}


def rendered(message: str) -> object:
    """The JSON of ``Response{message}``: a default value is omitted (HTTP-034)."""
    return {"message": message} if message else {}


def tag(h: Harness) -> str:
    return f"{h.fresh()}http{next(_tags)}"


def call(
    h: Harness, method: str, path: str, body: bytes, headers: Headers = JSON, label: str = ""
) -> tuple[Reply, int, str]:
    """One HTTP/1.1 request with a fresh tag: the reply, the interceptor's mark before it, the tag."""
    step = tag(h)
    mark = h.icp.mark()
    h.note(f"client -> proxy: {label or 'request'}: {method} {path} {dict(headers)} {body[:200]!r}")
    answer = request(h.client.endpoint, method, path, body, [*headers, (HEADER, step)], h.bounds.wait)
    h.note(f"proxy -> client: {answer.describe()}")
    h.noted(mark)
    return answer, mark, step


def commands(h: Harness, mark: int, step: str) -> list[tuple[Record, Message]]:
    """The commands (entity commands or first action commands) sent since ``mark`` carrying the request's tag."""
    found = []
    for record in h.icp.records(mark):
        if record.kind != "in" or record.message is None:
            continue
        entries = metadata_of(record.message).entries
        if any(e.key == HEADER and e.string_value == step for e in entries):
            found.append((record, command_of(record.message) or record.message))
    return found


def entity_request(command: Message) -> valueentity_pb2.Request | None:
    """The value entity Request a command carried, or None when it is no entity command."""
    payload = getattr(command, "payload", None)
    if payload is None or isinstance(command, action_pb2.ActionCommand):
        return None
    decoded = valueentity_pb2.Request()
    decoded.ParseFromString(payload.value)
    return decoded
