"""The CRDT machine's entities from opening to their end: streams opened from the store, deletes, passivations.

:class:`CrdtLifecycle` keeps what a proxy keeps: the replica's value of every
entity without a stream (``store``) and, per open stream, the model's view of
the user function's entity (:class:`~tck.machines.crdt_live.Live`). Its rules
open streams (with the whole value as the initial delta, or none), merge
changes of other replicas into closed entities, end streams (deletes from
either side, passivation, deltas of the wrong type) and run short streams of
their own; :class:`~tck.machines.crdt.CrdtMachine` adds what happens while a
stream is open.
"""

from __future__ import annotations

from cloudstate.tck.model import crdt_pb2 as m
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, multiple, rule

from tck.checks import Recorder
from tck.machines import crdt_checks as checks
from tck.machines import crdt_replicas as replicas
from tck.machines import crdt_strategies as draw
from tck.machines import entity as common
from tck.machines.crdt_commands import command
from tck.machines.crdt_live import Live, change, malformed, short_stream
from tck.models import crdt as model
from tck.models.crdt_values import Value, receive, type_of
from tck.sdk.driver import UserFunction
from tck.wire import crdt as wire

SHORT_STREAMS = ("two", "configured", "wrong-init", "command-before-init")


class CrdtLifecycle(RuleBasedStateMachine):
    closed = Bundle("crdt_closed")
    opened = Bundle("crdt_open")

    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__()
        self.uf, self.rec = uf, rec or Recorder()
        self.store: dict[str, Value | None] = {}
        self.live: dict[str, Live] = {}
        self.known: set[str] = set()

    def _open(self, entity_id: str) -> None:
        """Init with the replica's whole value as the delta, or without one when the entity has no state."""
        value = self.store.get(entity_id)
        delta = replicas.init_delta(value) if value is not None else None
        stream = self.uf.crdt()
        stream.send(wire.init(model.SERVICE, entity_id, delta))
        self.live[entity_id] = Live(stream, model.init(entity_id, delta).entity)

    @initialize(target=opened, entity_id=draw.entity_ids)
    def first_entity(self, entity_id: str) -> str:
        self.known.add(entity_id)
        self._open(entity_id)
        return entity_id

    @rule(target=opened, entity_id=draw.entity_ids, data=st.data())
    def open_new(self, entity_id: str, data: st.DataObject) -> object:
        """An entity never loaded here, which other replicas may have written already."""
        if entity_id in self.known:
            return multiple()
        self.known.add(entity_id)
        self.store[entity_id] = None
        if data.draw(st.booleans(), label="written elsewhere"):
            self.other_replicas_while_closed(entity_id, data)
        self._open(entity_id)
        return entity_id

    @rule(target=opened, entity_id=consumes(closed))
    def reopen(self, entity_id: str) -> str:
        self._open(entity_id)
        return entity_id

    @rule(entity_id=closed, data=st.data())
    def other_replicas_while_closed(self, entity_id: str, data: st.DataObject) -> None:
        """Changes merged while no stream is open: the next init carries them (CRDT-013)."""
        kind, value = type_of(entity_id), self.store.get(entity_id)
        delta = data.draw(replicas.remote_delta(value, kind), label="delta")
        if delta is not None:
            self.store[entity_id] = receive(value, delta, kind)

    def _request(self, live: Live, data: st.DataObject) -> m.Request:
        return m.Request(id=live.entity.entity_id, actions=data.draw(draw.actions(live.kind.PREFIX), label="actions"))

    def _cancel(self, live: Live, command_id: int) -> None:
        """The client of a streamed call went away (CRDT-057)."""
        answer = model.cancel(live.entity, command_id)
        change(self.rec, live, wire.cancelled(live.entity.entity_id, command_id), answer, "cancel", checks.ANSWERS)

    @rule(target=opened, entity_id=consumes(opened), by_command=st.booleans(), data=st.data())
    def delete(self, entity_id: str, by_command: bool, data: st.DataObject) -> object:
        """Deleted by a command here, or elsewhere (`CrdtDelete`); either way the proxy completes the stream."""
        live = self.live[entity_id]
        check = checks.DELETE_ENDS
        if by_command:
            request = self._request(live, data)
            at = data.draw(st.integers(0, len(request.actions)), label="at")
            request.actions.insert(at, m.RequestAction(delete=m.Delete()))
            if not command(self.rec, live, model.PROCESS, request).entity.deleted:  # a fail action won
                return entity_id
        else:
            assert not model.receive_delete(live.entity).out  # TCKM-080
            live.stream.send(wire.delete())
            check = checks.DELETED
        del self.live[entity_id]
        live.stream.half_close()
        common.expect_end(self.rec, live.stream, check)
        return multiple()

    @rule(target=closed, entity_id=consumes(opened))
    def passivate(self, entity_id: str) -> str:
        """Clients of open calls go away first: a proxy never passivates an entity with open calls (PASS-009)."""
        live = self.live.pop(entity_id)
        while live.entity.streams:  # a cancel update may end another call at its end state: no cancel for that one
            self._cancel(live, live.entity.streams[0].command_id)
        live.stream.half_close()
        common.expect_end(self.rec, live.stream, checks.PASSIVATION)
        self.store[entity_id] = live.entity.value
        return entity_id

    @rule(target=closed, entity_id=consumes(opened), second_init=st.booleans(), data=st.data())
    def break_stream(self, entity_id: str, second_init: bool, data: st.DataObject) -> str:
        """A second init (CRDT-016) or a delta of another type (CRDT-018): the user function fails the stream."""
        live = self.live.pop(entity_id)
        self.store[entity_id] = live.entity.value  # what the proxy holds stays as it was
        if second_init:
            live.stream.send(wire.init(model.SERVICE, entity_id))
            check = checks.VIOLATIONS["second-init"]
            common.expect_violation_failure(self.rec, live.stream, check, frozenset({0}))
            return entity_id
        delta = data.draw(replicas.wrong_delta(live.kind), label="delta")
        check = checks.MALFORMED if live.entity.value is not None else checks.TYPE_FROM_ID
        expected = model.receive_delta(live.entity, delta).out
        malformed(self.rec, live.stream, [wire.delta(delta)], entity_id, live.next_id, expected, check)
        return entity_id

    @rule(entity_id=draw.entity_ids, kind=st.sampled_from(SHORT_STREAMS), data=st.data())
    def short_stream(self, entity_id: str, kind: str, data: st.DataObject) -> None:
        """A stream of its own: CrdtTwo or CrdtConfigured `Call`, or one that starts wrong."""
        if kind == "command-before-init":
            stream = self.uf.crdt()
            stream.send(wire.command(1, entity_id, model.PROCESS, m.Request(id=entity_id)))
            common.expect_violation_failure(self.rec, stream, checks.VIOLATIONS[kind], frozenset({0, 1}))
            return
        if kind == "wrong-init":
            delta = data.draw(replicas.wrong_delta(type_of(entity_id)), label="delta")
            sent = [wire.init(model.SERVICE, entity_id, delta)]
            expected = model.init(entity_id, delta).out
            malformed(self.rec, self.uf.crdt(), sent, entity_id, 1, expected, checks.TYPE_FROM_ID)
            return
        actions = data.draw(draw.actions(type_of(entity_id).PREFIX), label="actions")
        if data.draw(st.booleans(), label="deleting"):
            actions.append(m.RequestAction(delete=m.Delete()))
        short_stream(self.rec, self.uf.crdt(), kind == "configured", m.Request(id=entity_id, actions=actions))

    def teardown(self) -> None:
        for live in self.live.values():
            live.stream.cancel()
