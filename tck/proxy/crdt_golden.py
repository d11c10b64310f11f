"""Fixed CRDT scenarios: programs of the machine's steps that every run goes through, and one exact exchange.

The machine explores; these make sure each run covers what spec 12 is most
precise about: the state coming back in init after a stream ended, the
presence example of the spec (a vote held by an empty call and dropped on
cancel), a streamed call over HTTP ending at its end state, side effects and a
forward, a delete, passivation, a restart of the proxy, and the replica
rules when the run has a replica.
"""

from __future__ import annotations

import time

from cloudstate import crdt_pb2, entity_pb2
from cloudstate.tck.model import crdt_pb2 as m

from tck.checks import Check
from tck.models import crdt as model
from tck.proxy.crdt import ProxyCrdtMachine
from tck.proxy.crdt_state import MAIN, REPLICA
from tck.proxy.golden import Scenario, exchange
from tck.proxy.harness import Harness
from tck.wire.common import pack

#: How long an entity with an open call stays idle: longer than a short CRDT passivation timeout a test may set.
IDLE_HOLD = 0.6
GOLDEN_INIT = Check(
    "proxy.crdt.golden.reinit",
    ("CRDT-013", "CRDT-015", "CRDT-GCOUNTER-005", "FAIL-021"),
    "after the stream of a counter at 7 crashed: init with increment 7, then command 1",
)


def _update(**variant: object) -> m.RequestAction:
    return m.RequestAction(update=m.Update(**variant))  # type: ignore[arg-type]


def _inc(n: int, level: int = m.LOCAL) -> m.RequestAction:
    return m.RequestAction(update=m.Update(gcounter=m.GCounterUpdate(increment=n), write_consistency=level))  # type: ignore[arg-type]


def state_after_crash(h: Harness) -> None:
    s = ProxyCrdtMachine(h)
    s.process(MAIN, "GCounter", [_inc(3)])
    s.process(MAIN, "GCounter", [_inc(4, m.ALL)], "http")
    entity = s._entity("GCounter")
    stream = s.live.pop((MAIN, entity))
    h.icp.crash(stream)
    time.sleep(0.2)  # the proxy notices the end of the stream
    s.process(MAIN, "GCounter", [])
    init = crdt_pb2.CrdtInit(service_name=model.SERVICE, entity_id=entity)
    init.delta.gcounter.increment = 7
    command = entity_pb2.Command(entity_id=entity, id=1, name="Process", payload=pack(m.Request(id=entity)))
    exchange(
        h,
        GOLDEN_INIT,
        s.live[(MAIN, entity)],
        [crdt_pb2.CrdtStreamIn(init=init), crdt_pb2.CrdtStreamIn(command=command)],
    )
    s.teardown()


def presence(h: Harness) -> None:
    """The spec's example: a monitoring call, a connection holding a vote, the connection going away."""
    s = ProxyCrdtMachine(h)
    entity = s._entity("Vote")
    s.open_call(s.begin(MAIN, "Vote", model.PROCESS_STREAMED, "grpc"), m.StreamedRequest(id=entity))
    connect = m.StreamedRequest(id=entity, empty=True)
    connect.initial_update.vote.self_vote = True
    connect.cancel_update.vote.self_vote = False
    s.open_call(s.begin(MAIN, "Vote", model.PROCESS_STREAMED, "grpc"), connect)
    s.cancel_call(max(s.calls))
    s.process(MAIN, "Vote", [])
    s.teardown()


def open_call_keeps_entity(h: Harness) -> None:
    """An entity idle for a while with a streamed call open is not passivated (PASS-009); the call still hears."""
    s = ProxyCrdtMachine(h)
    s.open_call(s.begin(MAIN, "Flag", model.PROCESS_STREAMED, "grpc"), m.StreamedRequest(id=s._entity("Flag")))
    time.sleep(IDLE_HOLD)
    s.process(MAIN, "Flag", [_update(flag=m.FlagUpdate())])
    s.teardown()


def http_stream_ends(h: Harness) -> None:
    """ProcessStreamed over HTTP as newline-delimited JSON, ended by the end state (CRDT-053, HTTP-043)."""
    s = ProxyCrdtMachine(h)
    entity = s._entity("ORSet")
    request = m.StreamedRequest(id=entity, end_state=m.State(orset=m.ORSetValue(elements=["a", "b"])))
    request.effects.add(id="e", synchronous=True)
    s.open_call(s.begin(MAIN, "ORSet", model.PROCESS_STREAMED, "http"), request)
    s.process(MAIN, "ORSet", [_update(orset=m.ORSetUpdate(add="a"))])
    s.process(MAIN, "ORSet", [_update(orset=m.ORSetUpdate(add="b"))], "http")
    s.teardown()


def effects_forward_and_failure(h: Harness) -> None:
    s = ProxyCrdtMachine(h)
    effects = [m.RequestAction(effect=m.Effect(id=i, synchronous=sync)) for i, sync in (("x", True), ("y", False))]
    s.process(MAIN, "PNCounter", [_update(pncounter=m.PNCounterUpdate(change=-2)), *effects])
    s.process(MAIN, "ORMap", [_update(ormap=m.ORMapUpdate(add="GSet-1")), m.RequestAction(forward=m.Forward(id="t"))])
    failing = [_update(lwwregister=m.LWWRegisterUpdate(value="v")), m.RequestAction(fail=m.Fail(message="no"))]
    s.process(MAIN, "LWWRegister", failing, "http")
    s.teardown()


def delete_is_final(h: Harness) -> None:
    s = ProxyCrdtMachine(h)
    s.process(MAIN, "GSet", [_update(gset=m.GSetUpdate(add="a"))])
    s.open_call(s.begin(MAIN, "GSet", model.PROCESS_STREAMED, "grpc"), m.StreamedRequest(id=s._entity("GSet")))
    s.delete(MAIN, "GSet", [], "grpc")
    s.process(MAIN, "GSet", [], "http")
    s.process(MAIN, "GSet", [_update(gset=m.GSetUpdate(add="b"))])
    s.delete(MAIN, "Flag", [], "grpc")  # an entity without state gets a tombstone too (CRDT-042)
    s.process(MAIN, "Flag", [_update(flag=m.FlagUpdate())])
    s.teardown()


def passivation(h: Harness) -> None:
    s = ProxyCrdtMachine(h)
    s.passivate("p")
    s.passivate("p")
    s.teardown()


def proxy_restart(h: Harness) -> None:
    if h.ctx.proxy_process is None or h.ctx.replica is not None:
        return
    s = ProxyCrdtMachine(h)
    s.process(MAIN, "ORSet", [_update(orset=m.ORSetUpdate(add="a")), _update(orset=m.ORSetUpdate(add="B"))])
    s.process(MAIN, "Vote", [_update(vote=m.VoteUpdate(self_vote=True))])
    s.restart_proxy()
    s.process(MAIN, "ORSet", [])
    s.process(MAIN, "Vote", [])
    s.teardown()


def replicas(h: Harness) -> None:
    if h.ctx.replica is None:
        return
    s = ProxyCrdtMachine(h)
    s.process(MAIN, "PNCounter", [_update(pncounter=m.PNCounterUpdate(change=1))])
    s.through_replica("PNCounter", [m.Update(pncounter=m.PNCounterUpdate(change=5))])
    s.process(MAIN, "Vote", [_update(vote=m.VoteUpdate(self_vote=True))])
    s.through_replica("Vote", [m.Update(vote=m.VoteUpdate(self_vote=True))])
    s.process(MAIN, "Vote", [])
    s.consistent_write("ORSet", m.Update(orset=m.ORSetUpdate(add="a")), m.ALL)
    s.process(REPLICA, "GSet", [_update(gset=m.GSetUpdate(add="a"))])
    s.delete(MAIN, "GSet", [], "grpc")
    s.process(REPLICA, "GSet", [])
    s.teardown()


CRDT_SCENARIOS: dict[str, Scenario] = {
    s.__name__: s
    for s in (
        state_after_crash,
        presence,
        open_call_keeps_entity,
        http_stream_ends,
        effects_forward_and_failure,
        delete_is_final,
        passivation,
        proxy_restart,
        replicas,
    )
}
