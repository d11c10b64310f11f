"""Proxy conformance for CRDT entities: the TCK is the client of CrdtTckModel behind the proxy (and its replica).

Each example works on a few entities, one per CRDT type, through drawn
commands over gRPC and HTTP/JSON, streamed calls opened and cancelled,
deletes, passivation of ``CrdtConfigured``, restarts of the proxy and, when the
run has a replica, updates through the replica and consistent writes. After
every step the rules of :mod:`tck.proxy.crdt_rules` hold on every CRDT stream
the interceptor saw, and the step's own checks (see
:mod:`tck.proxy.crdt_machine`) compare what crossed the proxy with what the
models predict from the state the proxy must hold.
"""

from __future__ import annotations

import weakref

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tck.machines.crdt_strategies import levels
from tck.models import crdt as model
from tck.proxy import crdt_strategies as draw
from tck.proxy.crdt_replica import CrdtReplicas, await_replicas
from tck.proxy.crdt_state import MAIN, REPLICA, Held, view
from tck.proxy.entity_machine import VIA
from tck.proxy.harness import Harness

# A few of each per program: each costs the passivation timeout, a delete ends an entity for good.
PASSIVATIONS, DELETES, CALLS = 2, 1, 3
_READY: weakref.WeakSet[Harness] = weakref.WeakSet()


class ProxyCrdtMachine(CrdtReplicas):
    def __init__(self, h: Harness) -> None:
        super().__init__(h)
        self.passivations = self.deletes = 0
        if REPLICA in self.clients and h not in _READY:
            await_replicas(h, self.clients, f"Vote-{self.prefix}replicas")
            _READY.add(h)

    def _entity(self, kind: str) -> str:
        return self.begin(MAIN, kind, "", "").entity

    @rule(kind=draw.KINDS, data=st.data(), via=VIA)
    def command(self, kind: str, data: st.DataObject, via: str) -> None:
        self.process(MAIN, kind, data.draw(draw.actions(kind), label="actions"), via)

    @precondition(lambda self: len(self.calls) < CALLS)
    @rule(kind=draw.KINDS, data=st.data(), via=VIA)
    def streamed(self, kind: str, data: st.DataObject, via: str) -> None:
        step = self.begin(MAIN, kind, model.PROCESS_STREAMED, via)
        value = view(self.held.get(step.entity, Held()), MAIN, self.up)
        self.open_call(step, data.draw(draw.streamed_request(step.entity, value, via == "http"), label="request"))

    @precondition(lambda self: bool(self.calls))
    @rule(data=st.data())
    def change_watched(self, data: st.DataObject) -> None:
        """A command on an entity with open calls, which hear of the change (TCKM-085, CRDT-052)."""
        call = self.calls[data.draw(st.sampled_from(sorted(self.calls)), label="call")]
        kind = call.entity.split("-", 1)[0]
        self.process(MAIN, kind, data.draw(draw.actions(kind), label="actions"), call.via)

    @precondition(lambda self: bool(self.calls))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.cancel_call(data.draw(st.sampled_from(sorted(self.calls)), label="call"))

    @precondition(lambda self: self.deletes < DELETES)
    @rule(kind=draw.KINDS, data=st.data(), via=VIA)
    def delete_entity(self, kind: str, data: st.DataObject, via: str) -> None:
        self.deletes += 1
        self.delete(MAIN, kind, data.draw(st.lists(draw.updates(kind), max_size=2), label="updates"), via)

    @precondition(lambda self: self.passivations < PASSIVATIONS)
    @rule(raw=st.sampled_from(["p", "q"]))
    def passivate_configured(self, raw: str) -> None:
        self.passivations += 1
        self.passivate(raw)

    # Not on the restart budget: it is shared by every example, and a precondition that changes between a run and
    # its replay makes Hypothesis give up (FlakyStrategyDefinition); a rule without budget does nothing instead.
    @precondition(lambda self: self.h.ctx.proxy_process is not None and REPLICA not in self.clients)
    @rule()
    def proxy_restarts(self) -> None:
        if self.h.take_restart():
            self.restart_proxy()

    @precondition(lambda self: REPLICA in self.clients)
    @rule(kind=draw.KINDS, data=st.data())
    def replica_update(self, kind: str, data: st.DataObject) -> None:
        """Updates through the replica reach this proxy's stream as deltas (CRDT-075)."""
        updates = data.draw(st.lists(draw.updates(kind), min_size=1, max_size=2), label="updates")
        self.through_replica(kind, updates)

    @precondition(lambda self: REPLICA in self.clients)
    @rule(kind=draw.KINDS, data=st.data(), level=levels.filter(bool))
    def replica_consistency(self, kind: str, data: st.DataObject, level: int) -> None:
        """A MAJORITY or ALL write is on the replica when the client has the reply (CRDT-028)."""
        self.consistent_write(kind, data.draw(draw.updates(kind), label="update"), level)
