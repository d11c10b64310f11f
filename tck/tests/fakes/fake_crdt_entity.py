"""What the fake keeps per CRDT entity stream, and how its open streamed calls hear of a change."""

from __future__ import annotations

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m

from tck.tests.fakes.fake_common import effect, reply
from tck.tests.fakes.fake_crdt_values import Crdt as Value

TWO = "cloudstate.tck.model.crdt.CrdtTwo"
Out = c.CrdtStreamOut


class Entity:
    def __init__(self, service: str, entity_id: str) -> None:
        self.service, self.entity_id = service, entity_id
        self.value: Value | None = None
        self.calls: dict[int, m.StreamedRequest] = {}


def deleting(level: int) -> c.CrdtStateAction:
    return c.CrdtStateAction(delete=c.CrdtDelete(), write_consistency=c.CrdtWriteConsistency.ValueType(level))


def updating(delta: c.CrdtDelta, level: int) -> c.CrdtStateAction:
    return c.CrdtStateAction(update=delta, write_consistency=c.CrdtWriteConsistency.ValueType(level))


def notify(entity: Entity) -> list[Out]:
    """A streamed message with the new state for every open call that is not empty, by command id."""
    assert entity.value is not None
    state, messages = entity.value.state(), []
    for command_id in sorted(entity.calls):
        request = entity.calls[command_id]
        if request.empty:
            continue
        ends = request.HasField("end_state") and request.end_state == state
        message = c.CrdtStreamedMessage(
            command_id=command_id, client_action=reply(m.Response(state=state)), end_stream=ends
        )
        message.side_effects.extend(effect(TWO, m.Request(id=e.id), e.synchronous) for e in request.effects)
        messages.append(Out(streamed_message=message))
        if ends:
            del entity.calls[command_id]
    return messages
