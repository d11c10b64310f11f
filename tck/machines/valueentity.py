"""SDK conformance for value entities: the TCK plays the proxy against ValueEntityTckModel.

The machine keeps the value store a proxy would keep (entity id -> stored
value) and, for every entity with an open stream, the model's view of it;
each rule sends what a proxy may send and compares every answer with the
model's prediction (``tck.machines.valueentity_checks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate import value_entity_pb2 as pb
from hypothesis import strategies as st
from hypothesis.stateful import consumes, invariant, rule

from tck import strategies
from tck.checks import Check, Recorder
from tck.machines import entity as common
from tck.machines import valueentity_checks as checks
from tck.machines.entity_machine import EntityChecks, EntityMachine
from tck.models import valueentity as ve
from tck.sdk.driver import UserFunction
from tck.sdk.streams import DuplexStream
from tck.wire import valueentity as wire

Live = common.Live[pb.ValueEntityStreamOut, str | None]


class ValueEntityMachine(EntityMachine):
    CHECKS = EntityChecks(
        first_reply=checks.FIRST_REPLY,
        command_id=checks.COMMAND_ID,
        reply=checks.REPLY,
        rollback=checks.ROLLBACK,
        passivation=checks.PASSIVATION,
        restart_ends=checks.RESTART_ENDS,
        violations=checks.VIOLATIONS,
    )
    WIRE = common.EntityWire[pb.ValueEntityStreamIn](
        service=ve.SERVICE,
        init=lambda service, entity_id: wire.init_message(service, entity_id, None),
        command=wire.command,
        request=wire.request,
        empty=pb.ValueEntityStreamIn,
    )
    closed, opened = EntityMachine.closed, EntityMachine.opened

    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__(uf, rec)
        self.store: dict[str, str] = {}

    def stream(self) -> DuplexStream[Any, Any]:
        return self.uf.value_entity()

    def _open(self, entity_id: str) -> None:
        stream = self.stream()
        stored = self.store.get(entity_id)
        stream.send(wire.init_message(ve.SERVICE, entity_id, stored))
        self.live[entity_id] = Live(stream, stored)

    @rule(target=opened, entity_id=consumes(closed))
    def open_entity(self, entity_id: str) -> str:
        self._open(entity_id)
        return entity_id

    @rule(entity_id=closed, change=st.one_of(st.none(), strategies.values))
    def another_writer(self, entity_id: str, change: str | None) -> None:
        """A value written or deleted while the entity is not loaded here: the next init must carry it."""
        self._store(entity_id, change)

    def _store(self, entity_id: str, stored: str | None) -> None:
        if stored is None:
            self.store.pop(entity_id, None)
        else:
            self.store[entity_id] = stored

    @rule(entity_id=opened, actions=strategies.ve_actions)
    def command(self, entity_id: str, actions: list[ve.Action]) -> None:
        self._command(entity_id, actions)

    @rule(entity_id=opened, changes=strategies.ve_changes, message=strategies.texts)
    def fail_after_changing(self, entity_id: str, changes: list[ve.Action], message: str) -> None:
        self._command(entity_id, [*changes, ve.Fail(message)])

    def process(self, entity: str | None, actions: Sequence[ve.Action]) -> ve.Outcome:
        return ve.process(entity, actions)

    def compare(self, reply: pb.ValueEntityReply, outcome: ve.Outcome, state: Check) -> None:
        checks.compare(self.rec, reply, wire.reply(reply.command_id, outcome), state=state)

    def commit(self, entity_id: str, live: Live, outcome: ve.Outcome) -> None:
        self._store(entity_id, outcome.stored)
        live.entity = outcome.stored

    @rule(entity_id=closed, kind=st.sampled_from(["call-two", "command-before-init", "unknown-service"]))
    def short_stream(self, entity_id: str, kind: str) -> None:
        if kind != "call-two":
            self._break_at_start(entity_id, kind)
            return
        request = wire.request(entity_id, [ve.Update("ignored")])
        self._call_two(ve.TWO, entity_id, request, wire.reply(1, ve.call_two(None)), checks.TWO)

    @rule(target=closed, entity_id=consumes(opened), kind=st.sampled_from(common.SHARED_VIOLATIONS))
    def break_protocol(self, entity_id: str, kind: str) -> str:
        self._break(entity_id, kind)
        return entity_id

    @invariant()
    def loaded_entities_match_the_store(self) -> None:
        for entity_id, live in self.live.items():
            assert live.entity == self.store.get(entity_id)
