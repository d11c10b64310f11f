"""The base of the proxy CRDT machine: its state, and one client command checked end to end.

The machine keeps what the proxies hold for each entity (:mod:`tck.proxy.crdt_state`),
the stream each proxy uses for it, and the streamed calls open. A command step
predicts the user function's answer with :mod:`tck.models.crdt` from the value
the proxy must have given it, makes the call while :func:`~tck.proxy.ordering.settle`
watches side effects, then checks the stream the command went on (init, the
known value before the command), the forward and side-effect calls, the
client's answer, and the streamed messages the change caused; only then does
the machine take the outcome (:mod:`tck.proxy.crdt_outcome`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import grpc
from cloudstate.tck.model import crdt_pb2 as model_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from tck.checks import Check
from tck.models import crdt as model
from tck.models.crdt_messages import state as render
from tck.models.effects import Call
from tck.proxy import checks
from tck.proxy import crdt_checks as cc
from tck.proxy.calls import command_of, payload_id, sent_metadata
from tck.proxy.client import Pending
from tck.proxy.crdt_outcome import CrdtOutcome, Step, effects_of
from tck.proxy.crdt_state import MAIN, Held, view
from tck.proxy.harness import HEADER, answered, json_body
from tck.proxy.ordering import check_calls, settle
from tck.proxy.records import Record, StreamInfo

HTTP_PATH = "/tck/model/crdt/"
TWO_CALL = model.TWO, "Call"


class CrdtMachineBase(CrdtOutcome):
    def process(
        self, proxy: str, raw: str, actions: list[model_pb2.RequestAction], via: str = "grpc", known: Check = cc.KNOWN
    ) -> None:
        """One `Process` command for the entity through ``proxy``; ``known`` checks the value before it."""
        step = self.begin(proxy, raw, model.PROCESS, via)
        request = model_pb2.Request(id=step.entity, actions=self.unique(actions))
        self.h.note(f"client -> {proxy}: {step.label}: {json_format.MessageToJson(request, indent=None)}")
        held = self.held.get(step.entity, Held())
        if held.deleted:
            self.refused(step, lambda: self._start(step, request))
            return
        answer = model.process(self.uf_entity(proxy, step.entity), 0, request)
        reply = answer.out[0].reply
        action = reply.client_action.WhichOneof("action")
        forwards = [Call(*TWO_CALL, payload_id(reply.client_action.forward.payload))] if action == "forward" else []
        effects = [] if action == "failure" else effects_of(reply)
        settled = settle(self.h, lambda: self._start(step, request), effects, step.label)
        self.h.note(answered(settled.answer))
        record, stream = self.command_record(step, settled.mark, settled.answer.describe())
        self.check_stream(step, stream, record, known)
        self._check_command(record, request, via, step.tag)
        got = self.reply_record(stream.id, command_of(record.message))
        for target in check_calls(self.h, settled, effects, forwards, sent_metadata(got)).values():
            self.check_fresh(target.stream)
        self._check_answer(step, settled.answer, reply, via)
        self.take(step, stream.id, reply, answer, settled.mark)

    def _start(self, step: Step, request: model_pb2.Request) -> Pending:
        client, headers = self.clients[step.proxy], [(HEADER, step.tag)]
        if step.via == "grpc":
            return client.start(model.SERVICE, model.PROCESS, request, headers)
        body = json_format.MessageToDict(request)
        del body["id"]  # it is in the path
        return client.post(HTTP_PATH + quote(step.entity, safe=""), body, model_pb2.Response, headers)

    def command_record(self, step: Step, mark: int, answer: str) -> tuple[Record, StreamInfo]:
        """The one command the call caused (found by the step's header) and its stream."""

        def found() -> list[tuple[Record, StreamInfo]] | None:
            hits = []
            for record in self.h.icp.records(mark):
                command = command_of(record.message) if record.kind == "in" else None
                if command is not None and command.name == step.method and _tagged(command, step.tag):
                    hits.append((record, self.h.icp.stream(record.stream)))
            return hits or None

        hits = self.h.icp.wait(found, self.h.bounds.wait) or []
        self.rec.expect(checks.COMMAND, 1, len(hits), f"commands sent for {step.entity!r} ({answer})")
        record, stream = hits[0]
        self.rec.expect(cc.INIT_NAMES, (model.SERVICE, step.entity), stream.key, "(service, entity id) of the stream")
        return record, stream

    def check_stream(self, step: Step, stream: StreamInfo, record: Record, check: Check = cc.KNOWN) -> None:
        """A new stream starts with the state the proxy holds; before the command the function holds it too."""
        key = (step.proxy, step.entity)
        if self.live.get(key) != stream.id:
            self.check_init(step.proxy, step.entity, stream)
            self.live[key] = stream.id
        command = command_of(record.message)
        assert command is not None
        followed = self.wire.stream(stream.id)
        expected = view(self.held.get(step.entity, Held()), step.proxy, self.up)
        if not followed.lost:
            known = followed.at_command.get(command.id)
            self.rec.expect(check, _shown(expected), _shown(known), f"{step.label}: the value before command")

    def check_init(self, proxy: str, entity: str, stream: StreamInfo) -> None:
        first = next((r.message for r in self.h.icp.messages(stream.id) if r.kind == "in"), None)
        init: Any = first.init if first is not None else None  # type: ignore[attr-defined]
        has = init is not None and init.HasField("delta")
        if entity in self.unsure:  # after a restart the proxy may be a new replica: its old vote may not count
            self.adopt_votes(entity, init.delta if has else None)
        expected = view(self.held.get(entity, Held()), proxy, self.up)
        oneof = init.delta.WhichOneof("delta") if has else None
        what = f"the init of stream #{stream.id} ({proxy})"
        self.rec.expect(cc.INIT_STATE, expected is not None, has and oneof is not None, f"{what}: delta set")
        check = cc.INIT_VALUES
        if proxy == MAIN and entity in self.restarted:
            check = cc.DURABLE
            self.restarted.discard(entity)
        if has:
            self.rec.expect(check, _shown(expected), _shown(self.wire.stream(stream.id).initial), what)

    def check_fresh(self, stream: int) -> None:
        """The stream of an entity that was never written: init without a delta (CRDT-014)."""
        first: Any = next((r.message for r in self.h.icp.messages(stream) if r.kind == "in"), None)
        has = first is not None and first.WhichOneof("message") == "init" and first.init.HasField("delta")
        self.rec.expect(cc.INIT_STATE, False, has, f"a delta in the init of stream #{stream}")

    def _check_command(self, record: Record, request: Message, via: str, tag: str) -> None:
        command = command_of(record.message)
        assert command is not None
        got = type(request)()
        got.ParseFromString(command.payload.value)
        check = checks.COMMAND if via == "grpc" else checks.HTTP_COMMAND
        self.rec.expect(check, (command.payload.type_url.endswith(request.DESCRIPTOR.full_name), request), (True, got))
        tagged = [e.string_value for e in command.metadata.entries if e.key == HEADER]
        self.rec.expect(checks.METADATA if via == "grpc" else checks.HTTP_METADATA, [tag], tagged)

    def reply_record(self, stream: int, command: Any) -> Record | None:
        for record in self.h.icp.messages(stream):
            out: Any = record.message
            if record.kind == "out" and out.WhichOneof("message") == "reply" and out.reply.command_id == command.id:
                return record
        return None

    def _check_answer(self, step: Step, answer: Any, reply: Any, via: str) -> None:
        action = reply.client_action
        if action.WhichOneof("action") == "failure":
            message = action.failure.description
            if via == "http":
                error = {"code": 2, "message": message, "details": []}
                self.rec.expect(checks.HTTP_FAILURE, (500, error), (answer.http_status, json_body(answer.body)))
            else:
                self.rec.expect(checks.FAILURE, (grpc.StatusCode.UNKNOWN, message), (answer.code, answer.details))
            return
        forwarded = action.WhichOneof("action") == "forward"
        expected = model_pb2.Response() if forwarded else model_pb2.Response.FromString(action.reply.payload.value)
        check = checks.FORWARD_ANSWER if forwarded else cc.ANSWER if via == "grpc" else checks.HTTP_REPLY
        status = answer.http_status if via == "http" else answer.code
        ok = 200 if via == "http" else grpc.StatusCode.OK
        self.rec.expect(check, (ok, [expected]), (status, list(answer.messages)), answer.describe())
        if expected.state.HasField("vote") and len(self.up) > 1:
            self.rec.ok(cc.VOTES)  # the tally in the answer counted every replica up
        level = reply.state_action.write_consistency
        if reply.state_action.WhichOneof("action") and level != model_pb2.LOCAL and self.up == frozenset({MAIN}):
            self.rec.ok(cc.LOCAL_WRITES)


def _tagged(command: Any, tag: str) -> bool:
    return any(e.key == HEADER and e.string_value == tag for e in command.metadata.entries)


def _shown(value: Any) -> Any:
    """A value as the model renders it (sorted, comparable), or None."""
    return render(value) if value is not None else None
