"""The messages of the CRDT golden scenarios, written out: what the TCK sends and the answers it expects."""

from __future__ import annotations

from cloudstate import crdt_pb2 as c
from cloudstate import entity_pb2
from cloudstate.tck.model import crdt_pb2 as m

from tck.checks import Check, Recorder
from tck.golden.exchange import Exchange
from tck.machines import entity as common
from tck.models.crdt_messages import canonical
from tck.sdk.driver import UserFunction
from tck.wire import crdt as wire
from tck.wire.common import pack

MODEL, TWO = "cloudstate.tck.model.crdt.CrdtTckModel", "cloudstate.tck.model.crdt.CrdtTwo"
Out = c.CrdtStreamOut


class Stream(Exchange[Out]):
    def expect(self, expected: Out) -> Out:
        observed = common.receive(self.rec, self.stream, self.check, f"{expected}")
        self.rec.expect(self.check, canonical(expected), canonical(observed))
        return observed


def open_stream(
    uf: UserFunction, rec: Recorder, check: Check, entity_id: str, delta: c.CrdtDelta | None = None
) -> Stream:
    stream = Stream(rec, check, uf.crdt())
    stream.send(wire.init(MODEL, entity_id, delta))
    return stream


def process(command_id: int, entity_id: str, *updates: m.Update | m.RequestAction) -> c.CrdtStreamIn:
    actions = [u if isinstance(u, m.RequestAction) else m.RequestAction(update=u) for u in updates]
    return wire.command(command_id, entity_id, "Process", m.Request(id=entity_id, actions=actions))


def streamed(command_id: int, request: m.StreamedRequest) -> c.CrdtStreamIn:
    return wire.command(command_id, request.id, "ProcessStreamed", request, streamed=True)


def response(state: m.State) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(m.Response(state=state))))


def answer(command_id: int, state: m.State | None, delta: c.CrdtDelta | None = None, streamed: bool = False) -> Out:
    reply = c.CrdtReply(command_id=command_id, streamed=streamed)
    if state is not None:
        reply.client_action.CopyFrom(response(state))
    if delta is not None:
        reply.state_action.update.CopyFrom(delta)
    return Out(reply=reply)


def pushed(command_id: int, state: m.State, end: bool = False, *effects: entity_pb2.SideEffect) -> Out:
    message = c.CrdtStreamedMessage(command_id=command_id, client_action=response(state), end_stream=end)
    message.side_effects.extend(effects)
    return Out(streamed_message=message)


def gcounter(n: int) -> m.State:
    return m.State(gcounter=m.GCounterValue(value=n))


def increment(n: int) -> m.Update:
    return m.Update(gcounter=m.GCounterUpdate(increment=n))


def orset(*elements: str) -> m.State:
    return m.State(orset=m.ORSetValue(elements=sorted(elements)))


def orset_update(**change: str | bool) -> m.Update:
    return m.Update(orset=m.ORSetUpdate(**change))  # type: ignore[arg-type]


def vote(self_vote: bool, votes_for: int, total: int = 1) -> m.State:
    return m.State(vote=m.VoteValue(self_vote=self_vote, votes_for=votes_for, total_voters=total))


def voting(self_vote: bool) -> m.Update:
    return m.Update(vote=m.VoteUpdate(self_vote=self_vote))


def pncounter(n: int) -> m.State:
    return m.State(pncounter=m.PNCounterValue(value=n))
