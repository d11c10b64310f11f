"""SDK conformance for event-sourced entities: the TCK plays the proxy against EventSourcedTckModel.

The machine keeps the journal a proxy would keep (``tck.models.journal``) and,
for every entity with an open stream, the model's view of it. Each rule sends
what a proxy may send (init and replay from any stored snapshot, commands,
half-closes, and deliberately broken messages) and compares every message the
user function answers with the model's prediction, check by check
(``tck.machines.eventsourced_checks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate import event_sourced_pb2 as pb
from hypothesis import strategies as st
from hypothesis.stateful import consumes, invariant, rule

from tck import strategies
from tck.checks import Check, Recorder
from tck.machines import entity as common
from tck.machines import eventsourced_checks as checks
from tck.machines.entity_machine import EntityChecks, EntityMachine
from tck.models import eventsourced as es
from tck.models.journal import Journal, Recovery
from tck.sdk.driver import UserFunction
from tck.sdk.streams import DuplexStream
from tck.wire import eventsourced as wire
from tck.wire.common import pack

Live = common.Live[pb.EventSourcedStreamOut, es.Entity]
NOTHING = Recovery[str](None, ())


class EventSourcedMachine(EntityMachine):
    CHECKS = EntityChecks(
        first_reply=checks.REPLAY_SILENT,
        command_id=checks.COMMAND_ID,
        reply=checks.REPLY,
        rollback=checks.ROLLBACK,
        passivation=checks.PASSIVATION,
        restart_ends=checks.RESTART_ENDS,
        violations=checks.VIOLATIONS,
    )
    WIRE = common.EntityWire[pb.EventSourcedStreamIn](
        service=es.SERVICE,
        init=lambda service, entity_id: wire.init_messages(service, entity_id, NOTHING)[0],
        command=wire.command,
        request=wire.request,
        empty=pb.EventSourcedStreamIn,
    )
    closed, opened = EntityMachine.closed, EntityMachine.opened

    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__(uf, rec)
        self.journal: Journal[str] = Journal()

    def stream(self) -> DuplexStream[Any, Any]:
        return self.uf.event_sourced()

    def _open(self, entity_id: str, recovery: Recovery[str] | None = None) -> None:
        """Init and replay; by default from the latest snapshot, as a proxy does (ES-012, ES-016)."""
        recovery = recovery or self.journal[entity_id].latest_recovery()
        stream = self.stream()
        stream.send(*wire.init_messages(es.SERVICE, entity_id, recovery))
        self.live[entity_id] = Live(stream, es.Entity.recover(recovery))

    @rule(target=opened, entity_id=consumes(closed), data=st.data())
    def open_entity(self, entity_id: str, data: st.DataObject) -> str:
        """Init with the latest snapshot, an older one or none, then replay the rest: all give the same state."""
        journal = self.journal[entity_id]
        snapshot = data.draw(st.sampled_from([journal.latest_snapshot, None, *journal.snapshots]), label="snapshot")
        self._open(entity_id, journal.recovery(snapshot))
        return entity_id

    @rule(entity_id=closed, values=st.lists(strategies.values, min_size=1, max_size=7), snapshot=st.booleans())
    def another_writer(self, entity_id: str, values: list[str], snapshot: bool) -> None:
        """Events written while the entity is not loaded here (another replica): the next load must see them."""
        journal = self.journal[entity_id].append(values)
        if snapshot:
            journal = journal.snapshot(es.Entity.recover(journal.latest_recovery()).state)
        self.journal = self.journal.updated(entity_id, journal)

    @rule(entity_id=opened, actions=strategies.es_actions)
    def command(self, entity_id: str, actions: list[es.Action]) -> None:
        self._command(entity_id, actions)

    @rule(entity_id=opened, emits=strategies.es_emits)
    def emit(self, entity_id: str, emits: list[es.Action]) -> None:
        self._command(entity_id, emits)

    @rule(entity_id=opened, emits=strategies.es_emits, message=strategies.texts)
    def fail_after_emitting(self, entity_id: str, emits: list[es.Action], message: str) -> None:
        self._command(entity_id, [*emits, es.Fail(message)])

    def process(self, entity: es.Entity, actions: Sequence[es.Action]) -> es.Outcome:
        return es.process(entity, actions)

    def compare(self, reply: pb.EventSourcedReply, outcome: es.Outcome, state: Check) -> None:
        checks.compare(self.rec, reply, wire.reply(reply.command_id, outcome), outcome, state=state)

    def commit(self, entity_id: str, live: Live, outcome: es.Outcome) -> None:
        self.journal = self.journal.updated(entity_id, es.journal_outcome(self.journal[entity_id], outcome))
        live.entity = outcome.entity

    @rule(entity_id=closed, kind=st.sampled_from(["call-two", "command-before-init", "unknown-service"]))
    def short_stream(self, entity_id: str, kind: str) -> None:
        if kind != "call-two":
            self._break_at_start(entity_id, kind)
            return
        request = wire.request(entity_id, [es.Emit("ignored")])
        self._call_two(es.TWO, entity_id, request, wire.reply(1, es.call_two(es.Entity())), checks.TWO)

    @rule(
        target=closed,
        entity_id=consumes(opened),
        kind=st.sampled_from([*common.SHARED_VIOLATIONS, "event-after-command"]),
    )
    def break_protocol(self, entity_id: str, kind: str) -> str:
        if kind != "event-after-command":
            self._break(entity_id, kind)
            return entity_id
        live = self.live[entity_id]
        if live.next_id == 1:
            self._probe(entity_id, checks.REPLY)  # an event before any command would be a legal replay
        event = pb.EventSourcedEvent(sequence=live.entity.sequence + 1, payload=pack(wire.persisted("x")))
        self._break(entity_id, kind, pb.EventSourcedStreamIn(event=event))
        return entity_id

    @invariant()
    def model_matches_its_journal(self) -> None:
        """The model's view of a loaded entity is what a replay of its journal gives (ES-038)."""
        for entity_id, live in self.live.items():
            assert live.entity == es.Entity.recover(self.journal[entity_id].latest_recovery())
