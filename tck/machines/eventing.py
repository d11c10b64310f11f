"""SDK conformance for eventing: the TCK plays the proxy against the eventlogeventing model.

The machine keeps what a proxy with an event log would keep: the journal of
every emitting entity (fed back as replay when a stream is reopened, TCKM-096)
and the persisted events, each of which it may deliver to the subscriber any
number of times and in any order (EVT-012, EVT-015), with the CloudEvents
metadata of EVT-021. It also delivers events no entity here persisted (another
deployment's journal, EVT-020; steps the model never emits; no ``ce-subject``),
JSON events spelled in other ways (ANY-021), and calls ``Effect`` as the target
of every forward and directly. Every answer is compared with
:mod:`tck.models.eventing` under the checks of :mod:`tck.machines.eventing_checks`.
"""

from __future__ import annotations

import dataclasses
import json

from cloudstate import entity_pb2
from cloudstate import event_sourced_pb2 as es_pb
from cloudstate.tck.model import eventlogeventing_pb2 as pb
from google.protobuf import any_pb2
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from tck import strategies
from tck.checks import Recorder
from tck.machines import entity as common
from tck.machines import eventing_checks as checks
from tck.machines import eventing_wire as wire
from tck.machines.eventsourced_checks import PASSIVATION
from tck.models import eventing as model
from tck.sdk.driver import EventSourcedStream, UserFunction
from tck.wire.common import pack

emitted_step = st.one_of(st.builds(model.Reply, strategies.texts), st.builds(model.Forward, strategies.texts))
any_step = st.one_of(emitted_step, st.just(model.Neither()))
emitted_events = st.one_of(
    st.builds(model.EventOne, emitted_step),
    st.builds(model.EventTwo, st.lists(emitted_step, max_size=3).map(tuple)),
    st.builds(model.JsonEvent, strategies.texts),
)
other_events = st.one_of(
    st.builds(model.EventOne, any_step), st.builds(model.EventTwo, st.lists(any_step, max_size=3).map(tuple))
)
# A few ids come back often, so that entities are reopened and replay their journal.
entity_ids = st.one_of(st.sampled_from(["ev-1", "ev-2"]), strategies.ids)
subjects = st.one_of(st.none(), strategies.ids)


@st.composite
def json_spellings(draw: st.DrawFn) -> tuple[str, str]:
    """A JSON event's text written another way than canonically, and its message."""
    message = draw(strategies.texts)
    space = draw(st.sampled_from(["", " ", "\n\t "]))
    text = json.dumps({"message": message}, ensure_ascii=draw(st.booleans()), separators=("," + space, ":" + space))
    return "{" + space + text[1:], message


@dataclasses.dataclass
class Live:
    stream: EventSourcedStream
    replayed: int
    next_id: int = 1


@dataclasses.dataclass(frozen=True)
class Persisted:
    entity_id: str
    event: model.Event
    payload: any_pb2.Any
    event_id: str


class EventingMachine(RuleBasedStateMachine):
    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__()
        self.uf, self.rec = uf, rec or Recorder()
        self.journal: dict[tuple[str, str], list[any_pb2.Any]] = {}
        self.live: dict[tuple[str, str], Live] = {}
        self.persisted: list[Persisted] = []
        self.deliveries = 0

    def _open(self, key: tuple[str, str]) -> Live:
        """Init without a snapshot (the entities emit none), then the whole journal, as a proxy recovers."""
        service, entity_id = key
        events = self.journal.get(key, [])
        stream = self.uf.event_sourced()
        init = es_pb.EventSourcedInit(service_name=service, entity_id=entity_id)
        replay = [es_pb.EventSourcedEvent(sequence=n, payload=e) for n, e in enumerate(events, 1)]
        stream.send(es_pb.EventSourcedStreamIn(init=init), *(es_pb.EventSourcedStreamIn(event=e) for e in replay))
        self.live[key] = Live(stream, len(events))
        return self.live[key]

    @rule(entity_id=entity_ids, event=emitted_events)
    def emit(self, entity_id: str, event: model.Event) -> None:
        service, method = model.emitter(event)
        live = self.live.get((service, entity_id)) or self._open((service, entity_id))
        command_id, replayed = live.next_id, live.replayed if live.next_id == 1 else 0
        live.next_id += 1
        request = pack(wire.emit_request(entity_id, event))
        command = es_pb.EventSourcedStreamIn(
            command=entity_pb2.Command(entity_id=entity_id, id=command_id, name=method, payload=request)
        )
        live.stream.send(command)
        check = checks.REPLAY if replayed else checks.EMPTY_REPLY
        out = common.receive(self.rec, live.stream, check, "the reply to " + method)
        payload = checks.compare_emitted(self.rec, out, command_id, event, replayed)
        self.journal.setdefault((service, entity_id), []).append(payload)
        self.persisted.append(Persisted(entity_id, event, payload, str(len(self.persisted) + 1)))

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def passivate(self, data: st.DataObject) -> None:
        live = self.live.pop(data.draw(st.sampled_from(sorted(self.live)), label="entity"))
        live.stream.half_close()
        common.expect_end(self.rec, live.stream, PASSIVATION)

    @precondition(lambda self: bool(self.persisted))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """A persisted event, to the consumer its type routes it to; again and out of order as a proxy may."""
        p = data.draw(st.sampled_from(self.persisted), label="event")
        self._deliver(p.event, p.payload, p.entity_id, p.event_id)

    @rule(event=other_events, subject=subjects)
    def deliver_other(self, event: model.Event, subject: str | None) -> None:
        self.deliveries += 1
        self._deliver(event, wire.event_any(event), subject, f"other-{self.deliveries}")

    @rule(spelling=json_spellings(), subject=subjects)
    def deliver_json_spelling(self, spelling: tuple[str, str], subject: str | None) -> None:
        text, message = spelling
        self.deliveries += 1
        command = wire.delivery(
            model.PROCESS_ANY, wire.json_any(text), model.LOG_TWO, subject, f"json-{self.deliveries}"
        )
        predicted = model.process(model.JsonEvent(message), subject or "")[0]
        checks.compare_answer(self.rec, predicted, self.uf.action_unary(command), checks.LENIENT_JSON)

    @rule(request_id=strategies.texts, message=strategies.texts)
    def effect(self, request_id: str, message: str) -> None:
        self._effect(pb.EffectRequest(id=request_id, message=message))

    def _effect(self, request: pb.EffectRequest) -> None:
        observed = self.uf.action_unary(wire.effect_call(request))
        checks.compare_answer(self.rec, model.effect(request.id, request.message), observed, checks.EFFECT)

    def _deliver(self, event: model.Event, payload: any_pb2.Any, subject: str | None, event_id: str) -> None:
        method = model.consumer(event)
        command = wire.delivery(method, payload, model.log_of(event), subject, event_id)
        predicted = model.process(event, subject or "")
        if method == model.PROCESS_TWO:
            stream = self.uf.action_streamed_out(command)
            for answer in predicted:
                item = common.receive(self.rec, stream, checks.STREAMED, f"{wire.response(answer)}")
                checks.compare_answer(self.rec, answer, item)
            common.expect_end(self.rec, stream, checks.STREAMED)
        else:
            check = checks.ANY_EVENT if method == model.PROCESS_ANY else None
            checks.compare_answer(self.rec, predicted[0], self.uf.action_unary(command), check)
        for answer in predicted:
            if isinstance(answer, model.ForwardEffect):  # the proxy makes the forwarded call
                self._effect(pb.EffectRequest(id=answer.id, message=answer.message))

    def teardown(self) -> None:
        for live in self.live.values():
            live.stream.cancel()


__all__ = ["EventingMachine"]
