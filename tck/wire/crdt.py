"""The messages the TCK's proxy sends on a CRDT entity stream (cloudstate.crdt)."""

from __future__ import annotations

from cloudstate import crdt_pb2, entity_pb2
from google.protobuf.message import Message

from tck.wire.common import pack

In = crdt_pb2.CrdtStreamIn


def init(service: str, entity_id: str, delta: crdt_pb2.CrdtDelta | None = None) -> In:
    """`init`; without a delta the entity has no state yet (CRDT-014)."""
    message = crdt_pb2.CrdtInit(service_name=service, entity_id=entity_id)
    if delta is not None:
        message.delta.CopyFrom(delta)
    return In(init=message)


def command(command_id: int, entity_id: str, name: str, payload: Message, streamed: bool = False) -> In:
    """A command; ``streamed`` exactly for a server-streaming method (CMD-005)."""
    return In(
        command=entity_pb2.Command(
            entity_id=entity_id, id=command_id, name=name, payload=pack(payload), streamed=streamed
        )
    )


def delta(change: crdt_pb2.CrdtDelta) -> In:
    return In(delta=change)


def delete() -> In:
    return In(delete=crdt_pb2.CrdtDelete())


def cancelled(entity_id: str, command_id: int) -> In:
    """The client of the streamed command ``command_id`` went away (CRDT-057)."""
    return In(stream_cancelled=entity_pb2.StreamCancelled(entity_id=entity_id, id=command_id))
