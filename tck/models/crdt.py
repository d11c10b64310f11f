"""Reference model of the CRDT TCK entity (cloudstate.tck.model.crdt.CrdtTckModel), per spec 15.

Each function takes the entity a user function keeps for one stream
(:class:`Entity`) and one message the proxy sends, and returns an
:class:`Answer`: the entity afterwards and every message the user function
sends in response, in order. Compare observed messages with
:func:`tck.models.crdt_messages.canonical` applied to both sides.

Decided where spec 15 leaves it open: a command that deletes the entity sends
no streamed messages (the entity is gone and the proxy ends its calls); a
delta of another type than the entity id names is a stream failure, like one
of another type than the value held (CRDT-018); every delta from the proxy is
a change that the streamed calls hear about.
"""

from __future__ import annotations

import dataclasses

from cloudstate import crdt_pb2, entity_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2

from tck.models import crdt_changes, crdt_messages
from tck.models.crdt_deltas import delta
from tck.models.crdt_entity import Answer, Entity, Out, Stream, changed, notify, state_action
from tck.models.crdt_values import receive, type_of

SERVICE = "cloudstate.tck.model.crdt.CrdtTckModel"
TWO = crdt_messages.TWO
CONFIGURED = "cloudstate.tck.model.crdt.CrdtConfigured"
PERSISTENCE_ID = "crdt-tck-model"
TWO_PERSISTENCE_ID = "crdt-tck-model-two"
CONFIGURED_PERSISTENCE_ID = "crdt-configured"
PROCESS, PROCESS_STREAMED = "Process", "ProcessStreamed"


def init(entity_id: str, initial: crdt_pb2.CrdtDelta | None) -> Answer:
    """After `CrdtInit`: the value its delta carries, or none (TCKM-061, CRDT-017)."""
    entity = Entity(entity_id)
    return receive_delta(entity, initial) if initial is not None else Answer(entity)


def receive_delta(entity: Entity, change: crdt_pb2.CrdtDelta) -> Answer:
    """A delta from the proxy; the open calls hear of it (TCKM-085)."""
    try:
        value = receive(entity.value, change, type_of(entity.entity_id))
    except ValueError as e:  # BadDelta, or a map key that names no type
        return Answer(entity, (Out(failure=entity_pb2.Failure(description=str(e))),))
    streams, messages = notify(entity.streams, value)
    return Answer(dataclasses.replace(entity, value=value, streams=streams), messages)


def receive_delete(entity: Entity) -> Answer:
    """`CrdtDelete`: the value is dropped and nothing is sent (TCKM-080, CRDT-041)."""
    return Answer(Entity(entity.entity_id, deleted=True))


def process(entity: Entity, command_id: int, request: model_pb2.Request) -> Answer:
    """`Process` (TCKM-067..079)."""
    draft, delete, forward, level = entity.draft(), False, None, model_pb2.LOCAL
    effects: list[model_pb2.Effect] = []
    for action in request.actions:
        match action.WhichOneof("action"):
            case "update":
                draft, level = crdt_changes.update(draft, action.update), action.update.write_consistency
            case "delete":
                delete = True
            case "forward":
                forward = action.forward.id
            case "effect":
                effects.append(action.effect)
            case "fail":  # TCKM-075, TCKM-076
                failure = crdt_messages.failure(command_id, action.fail.message)
                return Answer(entity, (Out(reply=crdt_pb2.CrdtReply(command_id=command_id, client_action=failure)),))
    client = (
        crdt_messages.forward(forward) if forward is not None else crdt_messages.reply(crdt_messages.state(draft.after))
    )
    reply = crdt_pb2.CrdtReply(command_id=command_id, client_action=client)
    reply.side_effects.extend(crdt_messages.side_effects(effects))
    if delete:
        reply.state_action.CopyFrom(state_action(None, level, delete=True))
        return Answer(Entity(entity.entity_id, deleted=True), (Out(reply=reply),))
    change = delta(draft)
    if change is not None:
        reply.state_action.CopyFrom(state_action(change, level))
    return changed(entity, draft.after, change is not None, (Out(reply=reply),))


def process_streamed(entity: Entity, command_id: int, request: model_pb2.StreamedRequest) -> Answer:
    """A `ProcessStreamed` command: the first answer, then the other calls hear of its change (TCKM-083..089)."""
    draft, level = entity.draft(), model_pb2.LOCAL
    if request.HasField("initial_update"):
        draft, level = crdt_changes.update(draft, request.initial_update), request.initial_update.write_consistency
    change = delta(draft)
    reply = crdt_pb2.CrdtReply(command_id=command_id, streamed=True)
    if not request.empty:
        reply.client_action.CopyFrom(crdt_messages.reply(crdt_messages.state(draft.after)))
    if change is not None:
        reply.state_action.CopyFrom(state_action(change, level))
    answer = changed(entity, draft.after, change is not None, (Out(reply=reply),))
    opened = dataclasses.replace(answer.entity, streams=(*answer.entity.streams, Stream(command_id, request)))
    return Answer(opened, answer.out)


def cancel(entity: Entity, command_id: int) -> Answer:
    """`StreamCancelled` for an open call: apply its `cancel_update`, answer, end the call (TCKM-091, TCKM-092)."""
    (stream,) = [s for s in entity.streams if s.command_id == command_id]
    entity = dataclasses.replace(entity, streams=tuple(s for s in entity.streams if s is not stream))
    draft, change = entity.draft(), None
    response = crdt_pb2.CrdtStreamCancelledResponse(command_id=command_id)
    if stream.request.HasField("cancel_update"):
        draft = crdt_changes.update(draft, stream.request.cancel_update)
        change = delta(draft)
        if change is not None:
            response.state_action.CopyFrom(state_action(change, stream.request.cancel_update.write_consistency))
    return changed(entity, draft.after, change is not None, (Out(stream_cancelled_response=response),))


def call_two(command_id: int, request: model_pb2.Request) -> Out:
    """`CrdtTwo/Call`: an empty Response, and a delete when the request asks for one (TCKM-081)."""
    reply = crdt_pb2.CrdtReply(command_id=command_id, client_action=crdt_messages.reply(None))
    if any(a.HasField("delete") for a in request.actions):
        reply.state_action.CopyFrom(state_action(None, model_pb2.LOCAL, delete=True))
    return Out(reply=reply)


def call_configured(command_id: int) -> Out:
    """`CrdtConfigured/Call`: an empty Response and nothing else (TCKM-082)."""
    return Out(reply=crdt_pb2.CrdtReply(command_id=command_id, client_action=crdt_messages.reply(None)))


__all__ = [
    "CONFIGURED",
    "CONFIGURED_PERSISTENCE_ID",
    "PERSISTENCE_ID",
    "PROCESS",
    "PROCESS_STREAMED",
    "SERVICE",
    "TWO",
    "TWO_PERSISTENCE_ID",
    "Answer",
    "Entity",
    "Stream",
    "call_configured",
    "call_two",
    "cancel",
    "init",
    "process",
    "process_streamed",
    "receive_delete",
    "receive_delta",
]
