"""The event-sourced TCK model (cloudstate/tck/model/eventsourced.proto).

The state is a string; every event appends its value, a snapshot replaces the
state, and the entity snapshots every 5 events.
"""

from __future__ import annotations

from datetime import timedelta

from cloudstate.tck.model import eventsourced_pb2 as pb

from cloudstate_sdk.eventsourced import EventSourcedContext, EventSourcedEntity
from cloudstate_sdk.outcomes import Forward

_services = pb.DESCRIPTOR.services_by_name

model = EventSourcedEntity(
    _services["EventSourcedTckModel"], persistence_id="event-sourced-tck-model", snapshot_every=5, initial_state=""
)
two = EventSourcedEntity(_services["EventSourcedTwo"], persistence_id="event-sourced-tck-model-two")
configured = EventSourcedEntity(
    _services["EventSourcedConfigured"],
    persistence_id="event-sourced-configured",
    passivation_timeout=timedelta(milliseconds=100),
)
_call_two = two.call_ref("Call")


@model.command("Process")
def process(state: str, request: pb.Request, ctx: EventSourcedContext) -> pb.Response | Forward:
    forward: Forward | None = None
    for action in request.actions:
        kind = action.WhichOneof("action")
        if kind == "emit":
            ctx.emit(pb.Persisted(value=action.emit.value))
        elif kind == "forward":
            forward = ctx.forward(_call_two.create_call(pb.Request(id=action.forward.id)))
        elif kind == "effect":
            call = _call_two.create_call(pb.Request(id=action.effect.id))
            ctx.effect(call, synchronous=action.effect.synchronous)
        elif kind == "fail":
            ctx.fail(action.fail.message)  # stops here; emitted events are rolled back
    return forward if forward is not None else pb.Response(message=ctx.state)


@model.event
def persisted(state: str, event: pb.Persisted) -> str:
    return state + event.value


@model.snapshot
def snapshot(state: str) -> pb.Persisted:
    return pb.Persisted(value=state)


@model.snapshot_handler
def restore(snapshot: pb.Persisted) -> str:
    return snapshot.value


@two.command("Call")
def two_call(state: None, request: pb.Request, ctx: EventSourcedContext) -> pb.Response:
    return pb.Response()


@configured.command("Call")
def configured_call(state: None, request: pb.Request, ctx: EventSourcedContext) -> pb.Response:
    return pb.Response()


entities = [model, two, configured]
