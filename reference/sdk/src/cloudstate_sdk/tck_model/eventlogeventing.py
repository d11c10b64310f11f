"""The event-log eventing TCK model (cloudstate/tck/model/eventlogeventing.proto).

Two event-sourced entities write the logs ``eventlogeventing-one`` (protobuf
events) and ``eventlogeventing-two`` (JSON events); the action
``EventLogSubscriberModel`` consumes them. The proxy routes the events and adds
their CloudEvents metadata; the subscriber answers with the emitting entity's
id, which it reads from ``ce-subject`` (TCKM-097..102).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudstate.tck.model import eventlogeventing_pb2 as pb
from google.protobuf import any_pb2
from google.protobuf.empty_pb2 import Empty

from cloudstate_sdk.action import Action, ActionContext
from cloudstate_sdk.eventsourced import EventSourcedContext, EventSourcedEntity
from cloudstate_sdk.outcomes import Failure, Forward
from cloudstate_sdk.payloads import JSON_PREFIX, pack_json, unpack

_services = pb.DESCRIPTOR.services_by_name

JSON_EVENT_TYPE = "JsonEvent"

subscriber = Action(_services["EventLogSubscriberModel"])
one = EventSourcedEntity(_services["EventSourcedEntityOne"], persistence_id="eventlogeventing-one")
two = EventSourcedEntity(_services["EventSourcedEntityTwo"], persistence_id="eventlogeventing-two")
_effect = subscriber.call_ref("Effect")

_Answer = pb.Response | Forward | Failure


def subject(ctx: ActionContext) -> str:
    """The id of the entity that emitted the event: ``ce-subject``, or "" without one."""
    value = ctx.metadata.get("ce-subject")
    return value if isinstance(value, str) else ""


def _answer(step: pb.ProcessStep, ctx: ActionContext) -> _Answer:
    kind = step.WhichOneof("step")
    if kind == "reply":
        return pb.Response(id=subject(ctx), message=step.reply.message)
    if kind == "forward":
        return Forward(_effect.create_call(pb.EffectRequest(id=subject(ctx), message=step.forward.message)))
    return Failure("the event's step sets neither reply nor forward")


@subscriber.unary("ProcessEventOne")
def process_event_one(event: pb.EventOne, ctx: ActionContext) -> _Answer:
    return _answer(event.step, ctx)


@subscriber.stream_out("ProcessEventTwo")
def process_event_two(event: pb.EventTwo, ctx: ActionContext) -> Iterator[_Answer]:
    for step in event.step:
        yield _answer(step, ctx)


@subscriber.unary("Effect")
def effect(request: pb.EffectRequest, ctx: ActionContext) -> pb.Response:
    return pb.Response(id=request.id, message=request.message)


@subscriber.unary("ProcessAnyEvent")
def process_any_event(event: any_pb2.Any, ctx: ActionContext) -> _Answer:
    # The payload is the event's own Any (EVT-026/027): JSON stays undecoded until here.
    if event.type_url != JSON_PREFIX + JSON_EVENT_TYPE:
        return Failure(f"expected a {JSON_PREFIX}{JSON_EVENT_TYPE} event, got {event.type_url!r}")
    value: Any = unpack(event)
    if not isinstance(value, dict) or not isinstance(value.get("message"), str):
        return Failure(f"a {JSON_EVENT_TYPE} event is an object with a string 'message', got {value!r}")
    return pb.Response(id=subject(ctx), message=value["message"])


@one.command("EmitEvent")
def emit_event(state: None, request: pb.EmitEventRequest, ctx: EventSourcedContext) -> Empty:
    kind = request.WhichOneof("event")
    if kind is None:
        ctx.fail("EmitEventRequest sets neither event_one nor event_two")
    ctx.emit(getattr(request, kind))
    return Empty()


@one.event(pb.EventOne)
@one.event(pb.EventTwo)
def ignore_event(state: None, event: pb.EventOne | pb.EventTwo) -> None:
    """The entities keep no state: their events matter only to the subscriber."""


@two.command("EmitJsonEvent")
def emit_json_event(state: None, request: pb.JsonEvent, ctx: EventSourcedContext) -> Empty:
    # pack_json writes compact canonical JSON, {"message":"..."} (TCKM-094/095).
    ctx.emit(pack_json({"message": request.message}, JSON_EVENT_TYPE))
    return Empty()


@two.event(dict)
def ignore_json_event(state: None, event: dict[str, Any]) -> None:
    """Replayed JSON events arrive as plain data; nothing to keep."""


entities = [subscriber, one, two]
