"""SDK conformance for CRDT entities: the TCK plays the proxy against CrdtTckModel.

The rules here act on open entity streams (those that open and end them are in
``tck.machines.crdt_lifecycle``): commands, changes made by other replicas,
streamed calls and their cancellations, and pipelined commands. Every answer
is compared with the model's prediction (``tck.machines.crdt_compare``).
Like a proxy, the machine never sends a delta while an operation is
outstanding (CRDT-005): a rule reads every answer to what it sent before the
next one runs.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tck.machines import crdt_checks as checks
from tck.machines import crdt_compare
from tck.machines import crdt_replicas as replicas
from tck.machines import crdt_strategies as draw
from tck.machines.crdt_commands import command, commands
from tck.machines.crdt_lifecycle import CrdtLifecycle
from tck.machines.crdt_live import Live, change
from tck.models import crdt as model
from tck.wire import crdt as wire


def _watching(machine: CrdtMachine) -> bool:
    return any(live.entity.streams for live in machine.live.values())


class CrdtMachine(CrdtLifecycle):
    opened = CrdtLifecycle.opened

    @rule(entity_id=opened, data=st.data())
    def other_replicas(self, entity_id: str, data: st.DataObject) -> None:
        live = self.live[entity_id]
        delta = data.draw(replicas.remote_delta(live.entity.value, live.kind), label="delta")
        if delta is not None:
            answer = model.receive_delta(live.entity, delta)
            change(self.rec, live, wire.delta(delta), answer, "remote", checks.ANSWERS)

    @rule(entity_id=opened, data=st.data())
    def process(self, entity_id: str, data: st.DataObject) -> None:
        live = self.live[entity_id]
        command(self.rec, live, model.PROCESS, self._request(live, data))

    @rule(entity_id=opened, data=st.data())
    def process_streamed(self, entity_id: str, data: st.DataObject) -> None:
        live = self.live[entity_id]
        command(self.rec, live, model.PROCESS_STREAMED, data.draw(draw.streamed_request(live.entity), label="request"))

    def _watched(self, data: st.DataObject) -> Live:
        entity_id = data.draw(st.sampled_from(sorted(i for i, live in self.live.items() if live.entity.streams)))
        return self.live[entity_id]

    @precondition(_watching)
    @rule(data=st.data(), kind=st.sampled_from(["process", "other-replicas", "streamed"]))
    def change_watched(self, data: st.DataObject, kind: str) -> None:
        """A change to an entity with open streamed calls, which hear of it (TCKM-085)."""
        entity_id = self._watched(data).entity.entity_id
        rules = {"process": self.process, "other-replicas": self.other_replicas, "streamed": self.process_streamed}
        rules[kind](entity_id, data)

    @precondition(_watching)
    @rule(data=st.data())
    def cancel_call(self, data: st.DataObject) -> None:
        live = self._watched(data)
        self._cancel(live, data.draw(st.sampled_from([s.command_id for s in live.entity.streams]), label="call"))

    @rule(entity_id=opened, data=st.data())
    def pipelined(self, entity_id: str, data: st.DataObject) -> None:
        """Several commands at once; the answers may come in any order, correlated by command id (CMD-014)."""
        live = self.live[entity_id]
        count = data.draw(st.integers(2, 4), label="commands")
        sent = [(live.take_id(), model.PROCESS, self._request(live, data)) for _ in range(count)]
        live.unverified |= {"command", "own", "failed"}
        state = checks.state_check(live.unverified)
        commands(self.rec, live, sent, crdt_compare.Expect(checks.ANSWERS, live.kind, state, state, ordered=False))
