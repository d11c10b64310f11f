"""Fixed CRDT scenarios after the upstream TCK, as exact exchanges with CrdtTckModel.

Answers are compared after :func:`tck.models.crdt_messages.canonical` (the
order of a delta's elements is free); everything else is written out here and
in ``tck.golden.crdt_exchange``.
"""

from __future__ import annotations

from cloudstate import crdt_pb2 as c
from cloudstate import entity_pb2
from cloudstate.tck.model import crdt_pb2 as m

from tck.checks import Check, Recorder
from tck.golden.crdt_exchange import (
    TWO,
    Out,
    answer,
    gcounter,
    increment,
    open_stream,
    orset,
    orset_update,
    pncounter,
    process,
    pushed,
    streamed,
    vote,
    voting,
)
from tck.golden.exchange import Scenario
from tck.models.crdt_values import pack_string
from tck.sdk.driver import UserFunction
from tck.wire import crdt as wire
from tck.wire.common import pack

GCOUNTER = Check(
    "golden.crdt.gcounter",
    ("TCKM-061", "TCKM-068", "TCKM-077", "CRDT-GCOUNTER-001", "CRDT-GCOUNTER-002", "CRDT-024"),
    "a counter adds its increments and the proxy's, and sends their sum",
)


def gcounter_increments(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, GCOUNTER, "GCounter-1", c.CrdtDelta(gcounter=c.GCounterDelta(increment=5)))
    s.send(process(1, "GCounter-1", increment(1), increment(2)))
    s.expect(answer(1, gcounter(8), c.CrdtDelta(gcounter=c.GCounterDelta(increment=3))))
    s.send(process(2, "GCounter-1", increment(0)))
    s.expect(answer(2, gcounter(8)))
    s.send(wire.delta(c.CrdtDelta(gcounter=c.GCounterDelta(increment=4))))
    s.send(process(3, "GCounter-1"))
    s.expect(answer(3, gcounter(12)))
    s.end()


ORSET = Check(
    "golden.crdt.orset",
    ("CRDT-ORSET-001", "CRDT-ORSET-002", "CRDT-ORSET-003", "TCKM-068", "TCKM-079"),
    "an ORSet sends its net additions and removals, and clears",
)


def orset_add_and_remove(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, ORSET, "ORSet-1")
    s.send(process(1, "ORSet-1", orset_update(add="b"), orset_update(add="a")))
    s.expect(answer(1, orset("a", "b"), c.CrdtDelta(orset=c.ORSetDelta(added=[pack_string("a"), pack_string("b")]))))
    s.send(process(2, "ORSet-1", orset_update(add="c"), orset_update(add="a")))
    s.expect(answer(2, orset("a", "b", "c"), c.CrdtDelta(orset=c.ORSetDelta(added=[pack_string("c")]))))
    s.send(process(3, "ORSet-1", orset_update(remove="b"), orset_update(remove="d")))
    s.expect(answer(3, orset("a", "c"), c.CrdtDelta(orset=c.ORSetDelta(removed=[pack_string("b")]))))
    s.send(wire.delta(c.CrdtDelta(orset=c.ORSetDelta(removed=[pack_string("a")], added=[pack_string("z")]))))
    s.send(process(4, "ORSet-1", orset_update(add="x"), orset_update(clear=True), orset_update(add="y")))
    s.expect(answer(4, orset("y"), c.CrdtDelta(orset=c.ORSetDelta(cleared=True, added=[pack_string("y")]))))
    s.end()


VOTE = Check(
    "golden.crdt.vote",
    ("TCKM-064", "TCKM-083", "TCKM-084", "TCKM-085", "TCKM-086", "TCKM-091", "CRDT-VOTE-003", "CRDT-VOTE-006"),
    "connections vote while their calls are open, a monitoring call hears every change",
)


def vote_connection_tracking(uf: UserFunction, rec: Recorder) -> None:
    """The presence example of spec 15: a monitor (command 1) and a connection (command 2) that votes while open."""
    s = open_stream(uf, rec, VOTE, "Vote-3")
    s.send(streamed(1, m.StreamedRequest(id="Vote-3")))
    s.expect(answer(1, vote(False, 0), streamed=True))
    connect = m.StreamedRequest(id="Vote-3", initial_update=voting(True), cancel_update=voting(False), empty=True)
    s.send(streamed(2, connect))
    s.expect(answer(2, None, c.CrdtDelta(vote=c.VoteDelta(self_vote=True)), streamed=True))
    s.expect(pushed(1, vote(True, 1)))
    s.send(wire.delta(c.CrdtDelta(vote=c.VoteDelta(self_vote=True, votes_for=2, total_voters=3))))
    s.expect(pushed(1, vote(True, 2, 3)))
    s.send(wire.cancelled("Vote-3", 2))
    update = c.CrdtStateAction(update=c.CrdtDelta(vote=c.VoteDelta(self_vote=False)))
    s.expect(Out(stream_cancelled_response=c.CrdtStreamCancelledResponse(command_id=2, state_action=update)))
    s.expect(pushed(1, vote(False, 1, 3)))
    s.send(wire.cancelled("Vote-3", 1))
    s.expect(Out(stream_cancelled_response=c.CrdtStreamCancelledResponse(command_id=1)))
    s.end()


STREAM_END = Check(
    "golden.crdt.end_state",
    ("TCKM-085", "TCKM-087", "TCKM-088", "TCKM-089", "TCKM-090"),
    "a watching call gets every change with its effects, and ends at its end state",
)


def streamed_call_ends_at_its_end_state(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, STREAM_END, "PNCounter-1")
    effect = entity_pb2.SideEffect(service_name=TWO, command_name="Call", payload=pack(m.Request(id="w")))
    watch = m.StreamedRequest(id="PNCounter-1", end_state=pncounter(0), effects=[m.Effect(id="w")])
    s.send(streamed(1, watch))  # the first answer is at the end state, which does not count (TCKM-089)
    s.expect(answer(1, pncounter(0), streamed=True))
    s.send(process(2, "PNCounter-1", m.Update(pncounter=m.PNCounterUpdate(change=-2))))
    s.expect(answer(2, pncounter(-2), c.CrdtDelta(pncounter=c.PNCounterDelta(change=-2))))
    s.expect(pushed(1, pncounter(-2), False, effect))
    s.send(wire.delta(c.CrdtDelta(pncounter=c.PNCounterDelta(change=2))))
    s.expect(pushed(1, pncounter(0), True, effect))
    s.send(process(3, "PNCounter-1", m.Update(pncounter=m.PNCounterUpdate(change=7))))
    s.expect(answer(3, pncounter(7), c.CrdtDelta(pncounter=c.PNCounterDelta(change=7))))
    s.end()


DELETE = Check(
    "golden.crdt.delete",
    ("TCKM-072", "TCKM-078", "TCKM-080", "CRDT-041", "TRN-031"),
    "a delete action answers with a delete; a CrdtDelete gets no answer",
)


def delete_from_either_side(uf: UserFunction, rec: Recorder) -> None:
    s = open_stream(uf, rec, DELETE, "GSet-1", c.CrdtDelta(gset=c.GSetDelta(added=[pack_string("a")])))
    s.send(process(1, "GSet-1", m.Update(gset=m.GSetUpdate(add="b")), m.RequestAction(delete=m.Delete())))
    deleted = answer(1, m.State(gset=m.GSetValue(elements=["a", "b"])))
    deleted.reply.state_action.delete.SetInParent()
    s.expect(deleted)
    s.end()
    s = open_stream(uf, rec, DELETE, "Flag-1", c.CrdtDelta(flag=c.FlagDelta(value=True)))
    s.send(wire.delete())
    s.end()


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        gcounter_increments,
        orset_add_and_remove,
        vote_connection_tracking,
        streamed_call_ends_at_its_end_state,
        delete_from_either_side,
    )
}
