"""Reference model of the eventing TCK model (cloudstate.tck.model.eventlogeventing).

Two event-sourced entities write event logs: ``EmitEvent`` persists its request's
``EventOne`` or ``EventTwo``, ``EmitJsonEvent`` a JSON object; both keep no state
and reply with ``Empty`` (TCKM-093..096). The subscriber answers each delivered
event from its steps and the event's *subject* (``ce-subject``, or "" without
one): a reply, a forward to ``Effect``, or a failure for a step with neither
set (TCKM-097..102). Which subscriber method gets an event is the proxy's
routing by type (EVT-008, EVT-009), reproduced by :func:`consumer`. See
spec/15-tck-model.md, "Eventing model", and spec/14-eventing.md.
"""

from __future__ import annotations

import dataclasses
import json

PACKAGE = "cloudstate.tck.model.eventlogeventing"
SUBSCRIBER = f"{PACKAGE}.EventLogSubscriberModel"
ONE, TWO = f"{PACKAGE}.EventSourcedEntityOne", f"{PACKAGE}.EventSourcedEntityTwo"
LOG_ONE, LOG_TWO = "eventlogeventing-one", "eventlogeventing-two"
EMIT_EVENT, EMIT_JSON_EVENT = "EmitEvent", "EmitJsonEvent"
PROCESS_ONE, PROCESS_TWO, EFFECT, PROCESS_ANY = "ProcessEventOne", "ProcessEventTwo", "Effect", "ProcessAnyEvent"
EVENT_ONE_URL = f"type.googleapis.com/{PACKAGE}.EventOne"
EVENT_TWO_URL = f"type.googleapis.com/{PACKAGE}.EventTwo"
JSON_EVENT_URL = "json.cloudstate.io/JsonEvent"


@dataclasses.dataclass(frozen=True)
class Reply:
    message: str


@dataclasses.dataclass(frozen=True)
class Forward:
    message: str


@dataclasses.dataclass(frozen=True)
class Neither:
    """A step with nothing set: the TCK model never emits one, but the subscriber must refuse it (TCKM-102)."""


Step = Reply | Forward | Neither


@dataclasses.dataclass(frozen=True)
class EventOne:
    step: Step


@dataclasses.dataclass(frozen=True)
class EventTwo:
    steps: tuple[Step, ...]


@dataclasses.dataclass(frozen=True)
class JsonEvent:
    message: str


Event = EventOne | EventTwo | JsonEvent


@dataclasses.dataclass(frozen=True)
class Respond:
    """A reply with ``Response{id, message}``."""

    id: str
    message: str


@dataclasses.dataclass(frozen=True)
class ForwardEffect:
    """A forward to ``EventLogSubscriberModel/Effect`` with ``EffectRequest{id, message}``."""

    id: str
    message: str


@dataclasses.dataclass(frozen=True)
class Fails:
    """An ``ActionResponse.failure``; its description is the implementation's."""


Answer = Respond | ForwardEffect | Fails


def emitter(event: Event) -> tuple[str, str]:
    """The entity service and the command that persist ``event``."""
    return (TWO, EMIT_JSON_EVENT) if isinstance(event, JsonEvent) else (ONE, EMIT_EVENT)


def log_of(event: Event) -> str:
    """The persistence id whose journal holds the event (TCKM-016, TCKM-017)."""
    return LOG_TWO if isinstance(event, JsonEvent) else LOG_ONE


def type_url(event: Event) -> str:
    """The type URL of the persisted event (TCKM-093, TCKM-094)."""
    match event:
        case EventOne():
            return EVENT_ONE_URL
        case EventTwo():
            return EVENT_TWO_URL
        case JsonEvent():
            return JSON_EVENT_URL


def consumer(event: Event) -> str:
    """The subscriber method the proxy delivers the event to: by message type, JSON to the Any consumer."""
    match event:
        case EventOne():
            return PROCESS_ONE
        case EventTwo():
            return PROCESS_TWO
        case JsonEvent():
            return PROCESS_ANY


def answer(step: Step, subject: str) -> Answer:
    match step:
        case Reply(message):
            return Respond(subject, message)
        case Forward(message):
            return ForwardEffect(subject, message)
        case Neither():
            return Fails()


def process(event: Event, subject: str) -> tuple[Answer, ...]:
    """The subscriber's answers to a delivered event: one for unary methods, one per step for ``ProcessEventTwo``."""
    match event:
        case EventOne(step):
            return (answer(step, subject),)
        case EventTwo(steps):
            return tuple(answer(step, subject) for step in steps)
        case JsonEvent(message):
            return (Respond(subject, message),)


def effect(id: str, message: str) -> Respond:
    """``Effect`` echoes its request (TCKM-100)."""
    return Respond(id, message)


def followed(forward: ForwardEffect) -> Respond:
    """What the caller of a forwarding method finally gets: the answer of ``Effect``."""
    return effect(forward.id, forward.message)


def json_text(message: str) -> str:
    """The compact JSON text of a ``JsonEvent`` (TCKM-095, ANY-019): ``{"message":"..."}``."""
    return json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False)


def json_message(text: str) -> str | None:
    """The ``message`` of a JSON event's text, or None when it is not an object with exactly that string property."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or set(value) != {"message"} or not isinstance(value["message"], str):
        return None
    message: str = value["message"]
    return message


def compact(text: str) -> bool:
    """Whether the JSON text has no whitespace outside its strings (ANY-019)."""
    inside = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif inside:
            escaped, inside = char == "\\", char != '"'
        elif char == '"':
            inside = True
        elif char in " \t\n\r":
            return False
    return True
