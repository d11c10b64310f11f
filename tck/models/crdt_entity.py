"""What the CRDT TCK model keeps per entity stream, and how its open streamed calls hear of changes.

An :class:`Entity` is the value (None until the proxy sends one or a command
creates it) and the `ProcessStreamed` calls still open. Every change of the
value, whoever made it, is reported to each open call that is not ``empty``,
after the message that caused it and in command id order (TCKM-085..088,
TCKM-090).
"""

from __future__ import annotations

import dataclasses

from cloudstate import crdt_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2

from tck.models import crdt_changes, crdt_messages
from tck.models.crdt_changes import Draft
from tck.models.crdt_values import Value, type_of

Out = crdt_pb2.CrdtStreamOut


@dataclasses.dataclass(frozen=True)
class Stream:
    """An open `ProcessStreamed` call."""

    command_id: int
    request: model_pb2.StreamedRequest


@dataclasses.dataclass(frozen=True)
class Entity:
    entity_id: str
    value: Value | None = None
    streams: tuple[Stream, ...] = ()  # ascending command ids
    deleted: bool = False

    def draft(self) -> Draft:
        """The value for a command to change; a command on an entity without one creates it (TCKM-062)."""
        if self.value is not None:
            return crdt_changes.start(self.value)
        return crdt_changes.create(type_of(self.entity_id))


@dataclasses.dataclass(frozen=True)
class Answer:
    """The entity afterwards, and every message the user function sends, in order."""

    entity: Entity
    out: tuple[Out, ...] = ()


def state_action(
    change: crdt_pb2.CrdtDelta | None, level: model_pb2.UpdateWriteConsistency.ValueType, delete: bool = False
) -> crdt_pb2.CrdtStateAction:
    """The delta or the delete, with the write consistency of the last top-level update (TCKM-071, TCKM-072)."""
    consistency = crdt_pb2.CrdtWriteConsistency.ValueType(level)  # same names, same numbers
    if delete:
        return crdt_pb2.CrdtStateAction(delete=crdt_pb2.CrdtDelete(), write_consistency=consistency)
    return crdt_pb2.CrdtStateAction(update=change, write_consistency=consistency)


def changed(entity: Entity, value: Value, has_delta: bool, answer: tuple[Out, ...]) -> Answer:
    """The entity with its new value; when a delta was sent, the open calls hear of it after the answer."""
    if not has_delta:
        return Answer(dataclasses.replace(entity, value=value), answer)
    streams, messages = notify(entity.streams, value)
    return Answer(dataclasses.replace(entity, value=value, streams=streams), answer + messages)


def notify(streams: tuple[Stream, ...], value: Value) -> tuple[tuple[Stream, ...], tuple[Out, ...]]:
    """One streamed message per open, non-empty call; a call whose ``end_state`` is reached ends."""
    rendered = crdt_messages.state(value)
    still_open: list[Stream] = []
    messages: list[Out] = []
    for stream in streams:
        request = stream.request
        if request.empty:  # TCKM-086
            still_open.append(stream)
            continue
        ends = request.HasField("end_state") and crdt_messages.sorted_state(request.end_state) == rendered
        message = crdt_pb2.CrdtStreamedMessage(
            command_id=stream.command_id,
            client_action=crdt_messages.reply(rendered),
            side_effects=crdt_messages.side_effects(request.effects),
            end_stream=ends,
        )
        messages.append(Out(streamed_message=message))
        if not ends:
            still_open.append(stream)
    return tuple(still_open), tuple(messages)
