"""What the event-sourced and value-entity proxy machines share: one client command, checked end to end.

A command step predicts the outcome with the model, makes the call (over gRPC
or HTTP/JSON) while :func:`~tck.proxy.ordering.settle` watches side effects,
and then checks, in this order: which stream carried the command and what the
stream began with (init, replay: the model's store), the command itself, the
forward and side-effect calls, and the client's answer. Only then does the
model take the outcome. ``Failure.restart`` is handled here; the other
lifecycle rules are in :mod:`tck.proxy.entity_faults`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import grpc
from cloudstate import entity_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from tck.checks import Check
from tck.models.effects import Failed, Forwarded, Replied
from tck.models.scripts import Effect, Forward
from tck.proxy import checks
from tck.proxy.calls import command_of, payload_id, sent_metadata, target_id
from tck.proxy.client import Answer
from tck.proxy.harness import HEADER, Harness, answered, json_body
from tck.proxy.ordering import check_calls, settle
from tck.proxy.records import Record, StreamInfo
from tck.proxy.rules import StreamRules
from tck.wire.common import pack

RESERVED: tuple[str, ...] = ("content-type", "content-length", "content-encoding", "accept-encoding", "te")
RESERVED += ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer", "host")
# A few entity ids, so that entities come back; one needs percent-encoding in an HTTP path.
ENTITIES = st.sampled_from(["a", "b", "é/ü x"])
VIA = st.sampled_from(["grpc", "http"])
TCK_SIDE = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE)


class EntityMachine(RuleBasedStateMachine):
    PROTOCOL: ClassVar[str]
    SERVICE: ClassVar[str]
    TWO: ClassVar[str]
    CONFIGURED: ClassVar[str]
    HTTP_PATH: ClassVar[str]  # the google.api.http path of Process, up to the entity id
    RECOVERY: ClassVar[Check]
    RESTART: ClassVar[Check]

    def __init__(self, h: Harness) -> None:
        super().__init__()
        self.h, self.rec = h, h.rec
        h.ctx.transcript.clear()
        self.prefix = h.fresh()
        self.stream_rules = StreamRules(h.icp, h.rec)
        self.step = 0
        self.live: dict[str, int] = {}  # entity id -> the stream its commands go on
        self.crashed: dict[str, int] = {}  # entity id -> the stream the TCK crashed
        self.failed_on: dict[str, int] = {}  # entity id -> the stream of its last failure without restart
        self.passivations = 0

    # -- the model, per entity type --------------------------------------------------------------------------

    def predict(self, entity: str, actions: Sequence[Any]) -> Any:
        raise NotImplementedError

    def commit(self, entity: str, outcome: Any) -> None:
        raise NotImplementedError

    def expected_start(self, service: str, entity: str) -> list[Message]:
        """What a new stream for the entity must begin with (init, and for event sourcing the replay)."""
        raise NotImplementedError

    def request(self, entity: str, actions: Sequence[Any]) -> Message:
        raise NotImplementedError

    def response(self, message: str) -> Message:
        raise NotImplementedError

    def unique(self, actions: Sequence[Any]) -> list[Any]:
        """The actions with forward and effect ids unique to this step and position (calls are told apart)."""
        return [
            dataclasses.replace(a, id=self.call_id(n, a.id)) if isinstance(a, Forward | Effect) else a
            for n, a in enumerate(actions)
        ]

    def call_id(self, position: int, raw: str) -> str:
        """The entity id of a forward or side effect target: unique to the step and the action's position."""
        return target_id(f"{self.prefix}{self.step}.{position}.", raw)

    # -- rules -----------------------------------------------------------------------------------------------

    def process(self, raw: str, actions: Sequence[Any], via: str, restart: bool = False) -> None:
        entity, self.step = self.prefix + raw, self.step + 1
        actions = self.unique(actions)
        outcome, request, tag = (
            self.predict(entity, actions),
            self.request(entity, actions),
            f"{self.prefix}{self.step}",
        )
        label = f"step {self.step}: {self.SERVICE}/Process for {entity!r} via {via}"
        self.h.note(f"client -> proxy: {label}: {json_format.MessageToJson(request, indent=None)}")
        if restart:
            self.h.icp.inject_restart(self.SERVICE, entity)
        start = self._grpc_call if via == "grpc" else self._http_call
        settled = settle(self.h, lambda: start(entity, request, tag), outcome.effects, label)
        self.h.note(answered(settled.answer))
        record, stream = self._command(settled.mark, entity, settled.answer)
        if record is None or stream is None:  # the command raced with a crash the TCK caused, and failed as it may
            self._end_step(settled.mark)
            return
        self._check_stream(entity, stream)
        self._check_command(record, request, via, tag)
        reply = self._reply(stream.id, command_of(record.message))
        forwards = [outcome.client.call] if isinstance(outcome.client, Forwarded) else []
        seen = check_calls(self.h, settled, outcome.effects, forwards, sent_metadata(reply))
        for call, target in seen.items():
            self._check_start(call.service, call.id, self.h.icp.stream(target.stream))
        self._check_answer(settled.answer, outcome.client, via, restart)
        self.commit(entity, outcome)
        if isinstance(outcome.client, Failed) and reply is not None:
            if restart:
                self._restarted(entity, stream, reply)
            else:
                self.failed_on[entity] = stream.id
        self._end_step(settled.mark)

    def _grpc_call(self, entity: str, request: Message, tag: str) -> Any:
        return self.h.client.start(self.SERVICE, "Process", request, [(HEADER, tag)])

    def _http_call(self, entity: str, request: Message, tag: str) -> Any:
        body = json_format.MessageToDict(request)
        del body["id"]  # it is in the path
        path = self.HTTP_PATH + quote(entity, safe="")
        return self.h.client.post(path, body, type(self.response("")), [(HEADER, tag)])

    def _command(self, mark: int, entity: str, answer: Answer) -> tuple[Record | None, StreamInfo | None]:
        """The one command the call caused, and its stream (None, None: it raced with a crash the TCK caused)."""
        found = []
        for record in self.h.icp.records(mark):
            command = command_of(record.message) if record.kind == "in" else None
            if command is not None and command.name == "Process" and payload_id(command.payload) == entity:
                found.append((record, self.h.icp.stream(record.stream)))
        crashed = self.crashed.get(entity)
        if crashed is not None and answer.code in TCK_SIDE and all(s.id == crashed for _, s in found):
            self.rec.ok(checks.CRASH)  # the command was on its way when the crash reached the proxy: it may fail
            return None, None
        self.rec.expect(checks.COMMAND, 1, len(found), f"commands sent for {entity!r} ({answer.describe()})")
        record, stream = found[0]
        self.rec.expect(checks.INIT_NAMES, (self.SERVICE, entity), stream.key, "(service, entity id) of the stream")
        self.rec.require(checks.CRASH, stream.id != crashed, f"a command on stream #{stream.id} after it crashed")
        return record, stream

    def _check_stream(self, entity: str, stream: StreamInfo) -> None:
        """A new stream begins as the model's store says; a failure without restart keeps the stream."""
        previous = self.live.get(entity)
        if previous == stream.id:
            if self.failed_on.pop(entity, None) == stream.id:
                self.rec.ok(checks.SAME_STREAM)
            return
        if previous is not None and self.failed_on.get(entity) == previous:
            old = self.h.icp.stream(previous)
            self.rec.require(
                checks.SAME_STREAM, old.half_closed is not None, f"stream #{previous} was left for #{stream.id}"
            )
        if entity in self.crashed:
            self.rec.ok(checks.CRASH)
            del self.crashed[entity]
        self._check_start(self.SERVICE, entity, stream)
        self.live[entity] = stream.id

    def _check_start(self, service: str, entity: str, stream: StreamInfo, check: Check | None = None) -> None:
        expected = self.expected_start(service, entity)
        got = self.h.icp.wait(lambda: _start_of(self.h, stream.id, len(expected)), self.h.bounds.wait)
        self.rec.expect(check or self.RECOVERY, expected, got or [], f"the start of stream #{stream.id}")

    def _check_command(self, record: Record, request: Message, via: str, tag: str) -> None:
        command = command_of(record.message)
        assert command is not None
        if via == "grpc":
            self.rec.expect(checks.COMMAND, ("Process", pack(request)), (command.name, command.payload))
        else:
            got = type(request)()
            got.ParseFromString(command.payload.value)
            self.rec.expect(
                checks.HTTP_COMMAND,
                ("Process", pack(request).type_url, request),
                (command.name, command.payload.type_url, got),
            )
        entries = [(e.key, e.WhichOneof("value")) for e in command.metadata.entries]
        tagged = [e.string_value for e in command.metadata.entries if e.key == HEADER]
        reserved = [k for k, _ in entries if k.startswith((":", "grpc-")) or k in RESERVED]
        self.rec.expect(checks.METADATA if via == "grpc" else checks.HTTP_METADATA, ([tag], []), (tagged, reserved))

    def _reply(self, stream: int, command: entity_pb2.Command | None) -> Record | None:
        """The user function's reply to the command on the stream, if there was one."""
        for record in self.h.icp.messages(stream):
            out: Any = record.message
            if record.kind != "out" or command is None or out.WhichOneof("message") != "reply":
                continue
            if out.reply.command_id == command.id:
                return record
        return None

    def _check_answer(self, answer: Answer, client: Replied | Forwarded | Failed, via: str, restart: bool) -> None:
        if isinstance(client, Failed):
            if via == "http":
                error = {"code": 2, "message": client.message, "details": []}
                self.rec.expect(checks.HTTP_FAILURE, (500, error), (answer.http_status, json_body(answer.body)))
            else:
                failure = self.RESTART if restart else checks.FAILURE
                self.rec.expect(failure, (grpc.StatusCode.UNKNOWN, client.message), (answer.code, answer.details))
            return
        message = self.response(client.message if isinstance(client, Replied) else "")
        check = checks.FORWARD_ANSWER if isinstance(client, Forwarded) else checks.REPLY
        if via == "http":
            check = checks.HTTP_REPLY if isinstance(client, Replied) else check
            self.rec.expect(check, (200, [message]), (answer.http_status, list(answer.messages)), answer.describe())
        else:
            self.rec.expect(check, (grpc.StatusCode.OK, [message]), (answer.code, list(answer.messages)))

    def _restarted(self, entity: str, stream: StreamInfo, failure: Record) -> None:
        """Failure.restart: the proxy half-closes the stream and opens a new one at once, with the stored state."""
        old = self.h.icp.wait_half_closed(stream.id, self.h.bounds.wait)
        self.rec.require(self.RESTART, old is not None and old.half_closed is not None, f"#{stream.id} not half-closed")
        new = self.h.icp.next_stream(self.SERVICE, entity, failure.seq, self.h.bounds.wait)
        if new is None:
            self.rec.fail(self.RESTART, f"no new stream for {entity!r} after Failure.restart")
        self._check_start(self.SERVICE, entity, new)
        self.live[entity] = new.id

    def _end_step(self, mark: int) -> None:
        self.stream_rules.check_new()
        self.rec.expect(checks.NO_REPORTS, [], self.h.icp.reported_errors(mark), "reportError calls")
        self.h.noted(mark)

    def teardown(self) -> None:
        self.stream_rules.check_new()


def _start_of(h: Harness, stream: int, count: int) -> list[Message] | None:
    """The first ``count`` in messages of a stream once they arrived, or everything before its first command."""
    sent = [r.message for r in h.icp.messages(stream) if r.kind == "in" and r.message is not None]
    before: list[Message] = []
    for message in sent:
        if command_of(message) is not None:
            return before
        before.append(message)
    return before if len(before) >= count else None
