"""The state of the proxy CRDT machine, and taking a step's outcome into it.

After a command (or a streamed call's first answer, or a cancellation) the
machine takes the state action of the answer the model predicted: an update
changes what the proxies hold, a delete ends the entity (its stream is
completed without ``CrdtDelete``, CRDT-038; its open calls end with
``NOT_FOUND``, CRDT-040; a replica's open stream gets ``CrdtDelete``,
CRDT-039). The streamed messages the change caused must reach the open calls'
clients, with their side effects (CRDT-052, CRDT-053).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from cloudstate import crdt_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2
from hypothesis.stateful import RuleBasedStateMachine

from tck.models import crdt as model
from tck.models.crdt_values import BY_PREFIX, Vote
from tck.models.effects import Call, SideEffect
from tck.proxy import checks
from tck.proxy import crdt_checks as cc
from tck.proxy.calls import command_of, payload_id
from tck.proxy.client import Answer, Pending
from tck.proxy.crdt_client import Stream, clients
from tck.proxy.crdt_rules import CrdtRules
from tck.proxy.crdt_state import MAIN, REPLICA, Held, absorb, apply, forget_votes, view
from tck.proxy.harness import Harness
from tck.proxy.ordering import Settled, check_calls
from tck.sdk.streams import Closed


@dataclasses.dataclass(frozen=True)
class Step:
    proxy: str
    entity: str
    method: str
    via: str
    tag: str
    label: str


@dataclasses.dataclass
class OpenCall:
    """A `ProcessStreamed` call the machine keeps open."""

    proxy: str
    entity: str
    request: model_pb2.StreamedRequest
    client: Stream
    via: str
    command_id: int
    stream: int


class CrdtOutcome(RuleBasedStateMachine):
    def __init__(self, h: Harness) -> None:
        super().__init__()
        self.h, self.rec = h, h.rec
        h.ctx.transcript.clear()
        self.prefix = h.fresh()
        self.clients = clients(h)
        self.up = frozenset(self.clients)  # the proxies (replicas) that are up
        self.wire = CrdtRules(h.icp, h.rec)
        self.held: dict[str, Held] = {}
        self.live: dict[tuple[str, str], int] = {}  # (proxy, entity id) -> the stream its commands go on
        self.calls: dict[int, OpenCall] = {}  # by the step that opened them
        self.unsure: set[str] = set()  # Vote entities whose votes a restart may have dropped
        self.restarted: set[str] = set()  # entities whose next init on the main proxy follows a restart
        self.step = 0

    def begin(self, proxy: str, raw: str, method: str, via: str) -> Step:
        self.step += 1
        entity = f"{raw}-{self.prefix}" if raw in BY_PREFIX else raw
        tag = f"{self.prefix}{self.step}"
        return Step(proxy, entity, method, via, tag, f"step {self.step}: {method} for {entity!r} via {proxy} {via}")

    def unique(self, actions: Sequence[model_pb2.RequestAction]) -> list[model_pb2.RequestAction]:
        """The actions with forward and effect ids unique to this step and position (calls are told apart)."""
        made = []
        for n, action in enumerate(actions):
            copy = model_pb2.RequestAction()
            copy.CopyFrom(action)
            part = copy.forward if copy.HasField("forward") else copy.effect if copy.HasField("effect") else None
            if part is not None:
                part.id = f"{self.prefix}{self.step}.{n}.{part.id}"
            made.append(copy)
        return made

    def uf_entity(self, proxy: str, entity: str) -> model.Entity:
        """What the user function behind ``proxy`` holds for the entity: its value and its open calls."""
        opened = sorted((c for c in self.calls.values() if (c.proxy, c.entity) == (proxy, entity)),
                        key=lambda c: c.command_id)  # fmt: skip
        streams = tuple(model.Stream(c.command_id, c.request) for c in opened)
        return model.Entity(entity, view(self.held.get(entity, Held()), proxy, self.up), streams)

    def take(self, step: Step, stream: int, reply: Any, answer: model.Answer, mark: int) -> None:
        """Take the outcome of a command or cancellation: the state action, then the streamed messages."""
        action = reply.state_action if reply.HasField("state_action") else crdt_pb2.CrdtStateAction()
        failed = isinstance(reply, crdt_pb2.CrdtReply) and reply.client_action.HasField("failure")
        held = self.held.get(step.entity, Held())
        if not failed and action.HasField("update") and answer.entity.value is not None:
            self.held[step.entity] = absorb(held, answer.entity.value, step.proxy)
        elif not failed and action.HasField("delete"):
            self.held[step.entity] = dataclasses.replace(held, deleted=True)
            self.deleted(step, stream)
        out = list(answer.out[1:])
        tally = view(self.held.get(step.entity, Held()), step.proxy, self.up)
        if not failed and isinstance(tally, Vote) and answer.entity.value != tally and not action.HasField("delete"):
            # The function counts its own vote only; at the turn the proxy sends the tally of the replicas up.
            votes = crdt_pb2.VoteDelta(
                self_vote=tally.self_vote, votes_for=tally.votes_for, total_voters=tally.total_voters
            )
            out += model.receive_delta(answer.entity, crdt_pb2.CrdtDelta(vote=votes)).out
        self.relay(step, [o.streamed_message for o in out if o.HasField("streamed_message")], mark)
        self.end_step(mark)

    def deleted(self, step: Step, stream: int) -> None:
        closed = self.h.icp.wait_half_closed(stream, self.h.bounds.wait)
        self.rec.require(cc.DELETE_ENDS, closed is not None, f"stream #{stream} still open after the delete")
        self.live.pop((step.proxy, step.entity), None)
        for number, call in list(self.calls.items()):
            if call.entity == step.entity:
                del self.calls[number]
                ended = _normal(call.client.receive(self.h.bounds.wait))
                self.rec.expect(cc.DELETE_CALLS, Closed(grpc.StatusCode.NOT_FOUND, ""), ended, f"call {number}")
        other = self.live.pop((REPLICA if step.proxy == MAIN else MAIN, step.entity), None)
        if other is not None:
            deletes = lambda: [r for r in self.h.icp.messages(other) if r.kind == "in" and _is_delete(r)] or None  # noqa: E731
            got = self.h.icp.wait(deletes, self.h.bounds.wait)
            self.rec.require(cc.REMOTE_DELETE, got is not None, f"no CrdtDelete on the other proxy's stream #{other}")
            self.rec.require(cc.REMOTE_DELETE, self.h.icp.wait_half_closed(other, self.h.bounds.wait) is not None,
                             f"stream #{other} not completed after CrdtDelete")  # fmt: skip

    def relay(self, step: Step, messages: Sequence[crdt_pb2.CrdtStreamedMessage], mark: int) -> None:
        """The streamed messages of the open calls reach their clients, with their side effects."""
        effects: list[SideEffect] = []
        for message in messages:
            number, call = next((n, c) for n, c in self.calls.items() if _same(c, step, message.command_id))
            expected = model_pb2.Response.FromString(message.client_action.reply.payload.value)
            got = _normal(call.client.receive(self.h.bounds.wait))
            self.rec.expect(cc.STREAM_MESSAGES, expected, got, f"{step.label}: a message of call {number}")
            effects += effects_of(message)
            if message.end_stream:
                del self.calls[number]
                ended = _normal(call.client.receive(self.h.bounds.wait))
                self.rec.expect(cc.STREAM_MESSAGES, Closed(grpc.StatusCode.OK, ""), ended, f"the end of call {number}")
        if effects:
            release = self.h.icp.released(f"{step.label}: streamed messages")
            check_calls(self.h, Settled(Answer(grpc.StatusCode.OK), release, mark), effects, [])

    def refused(self, step: Step, start: Callable[[], Pending | Stream]) -> None:
        """A deleted entity: NOT_FOUND, and no command reaches the user function (CRDT-036)."""
        mark = self.h.icp.mark()
        started = start()
        answer = started.result(self.h.bounds.wait) if isinstance(started, Pending) else started.receive()
        code = answer.code if isinstance(answer, Answer | Closed) else None
        sent = [r for r in self.h.icp.records(mark) if r.kind == "in" and _names(r, step.entity)]
        self.rec.expect(cc.DELETED, (grpc.StatusCode.NOT_FOUND, []), (code, sent), f"{step.label} after the delete")
        self.end_step(mark)

    def adopt_votes(self, entity: str, delta: crdt_pb2.CrdtDelta | None) -> None:
        """After a restart, keep the vote of the restarted proxy only when its init says it still counts."""
        self.unsure.discard(entity)
        held = self.held.get(entity, Held())
        dropped = forget_votes(held, MAIN)
        if delta is not None and view(dropped, MAIN, self.up) == apply(None, delta):
            self.held[entity] = dropped

    def end_step(self, mark: int) -> None:
        self.wire.check_new()
        self.rec.expect(checks.NO_REPORTS, [], self.h.icp.reported_errors(mark), "reportError calls")
        self.h.noted(mark)

    def teardown(self) -> None:
        for call in self.calls.values():
            call.client.cancel()
        self.wire.check_new()


def effects_of(reply: Any) -> list[SideEffect]:
    """The side effects of a reply or streamed message, as the models describe calls."""
    return [SideEffect(Call(e.service_name, e.command_name, payload_id(e.payload)), e.synchronous)
            for e in reply.side_effects]  # fmt: skip


def _same(call: OpenCall, step: Step, command_id: int) -> bool:
    return (call.proxy, call.entity, call.command_id) == (step.proxy, step.entity, command_id)


def _normal(item: object) -> object:
    return Closed(item.code, "") if isinstance(item, Closed) and item.code != grpc.StatusCode.OK else item


def _is_delete(record: Any) -> bool:
    return bool(record.message is not None and record.message.WhichOneof("message") == "delete")


def _names(record: Any, entity: str) -> bool:
    command = command_of(record.message)
    return command is not None and command.entity_id == entity
