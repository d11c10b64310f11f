"""Proxy conformance for actions: the TCK is the client of ActionTckModel behind the proxy, in all four shapes.

For every client call the proxy must make one ``ActionProtocol`` call of the
matching shape (the first message announcing the call, payloads after it),
turn the responses the model predicts into the client's answer (a reply, the
forwarded call's answer, the empty response, or UNKNOWN for a failure, which
also ends a stream), and run every side effect and forward of the responses it
acts on, and none of a response that follows a failure on a stream.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
from cloudstate import action_pb2
from cloudstate.tck.model import action_pb2 as model_pb2
from google.protobuf import json_format
from google.protobuf.message import Message
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, rule

from tck import strategies
from tck.models import action as model
from tck.models.effects import Call, Failed, Forwarded, Replied
from tck.proxy import checks
from tck.proxy.action_calls import (
    Visible,
    answer_check,
    check_stream_in,
    expect_command,
    find_call,
    first_command,
    normal,
    visible,
)
from tck.proxy.calls import call_of, sent_metadata, target_id
from tck.proxy.client import Answer
from tck.proxy.entity_machine import VIA
from tck.proxy.harness import HEADER, Harness, answered, json_body
from tck.proxy.ordering import Settled, check_calls, settle
from tck.proxy.records import Record, StreamInfo
from tck.sdk.streams import Closed, DuplexStream, Silence
from tck.wire import action as wire
from tck.wire.common import pack


@dataclasses.dataclass
class Duplex:
    """An open duplex call: the client's stream, where its records start, its header tag, the requests sent."""

    stream: DuplexStream[Any, Any]
    mark: int
    tag: str
    sent: list[Message] = dataclasses.field(default_factory=list)


class ProxyActionMachine(RuleBasedStateMachine):
    calls = Bundle("proxy_duplex_calls")

    def __init__(self, h: Harness) -> None:
        super().__init__()
        self.h, self.rec = h, h.rec
        h.ctx.transcript.clear()
        self.prefix = h.fresh()
        self.step = 0
        self.start = h.icp.mark()
        self.open: dict[int, Duplex] = {}
        self.ignored: set[Call] = set()

    def _begin(self, what: str) -> tuple[str, str]:
        self.step += 1
        tag = f"{self.prefix}{self.step}"
        return tag, f"step {self.step}: {what}"

    def unique(self, request: model.Request) -> model.Request:
        """Forward and effect ids unique to the step and position, so that every call can be told apart."""
        prefix = f"{self.prefix}{self.step}"
        return tuple(
            tuple(
                dataclasses.replace(s, id=target_id(f"{prefix}.{g}.{n}.", s.id))
                if isinstance(s, model.Forward | model.Effect)
                else s
                for n, s in enumerate(group)
            )
            for g, group in enumerate(request)
        )

    # -- unary and streamed-in: one answer ---------------------------------------------------------------------

    @rule(request=strategies.action_request, via=VIA)
    def unary(self, request: model.Request, via: str) -> None:
        tag, label = self._begin(f"ProcessUnary via {via}")
        request = self.unique(request)
        message = wire.request(request)
        if via == "grpc":
            start = lambda: self.h.client.start(model.SERVICE, model.UNARY, message, [(HEADER, tag)])  # noqa: E731
        else:
            body = json_format.MessageToDict(message)
            start = lambda: self.h.client.post("/tck/model/action/unary", body, model_pb2.Response, [(HEADER, tag)])  # noqa: E731
        predicted = model.unary(request)
        settled = settle(self.h, start, predicted.effects, label)
        call = find_call(self.h, settled.mark, model.UNARY, tag)
        first = first_command(self.h, call)
        expected = action_pb2.ActionCommand(service_name=model.SERVICE, name=model.UNARY, payload=pack(message))
        expect_command(self.h, first, expected, tag, via)
        self._answer(settled, predicted, call, via)

    @rule(requests=strategies.action_requests)
    def streamed_in(self, requests: list[model.Request]) -> None:
        tag, label = self._begin("ProcessStreamedIn")
        requests = [self.unique(r) for r in requests]
        messages = [wire.request(r) for r in requests]
        predicted = model.streamed_in(requests)
        start = lambda: self.h.client.start_streamed_in(model.SERVICE, model.STREAMED_IN, messages, [(HEADER, tag)])  # noqa: E731
        settled = settle(self.h, start, predicted.effects, label)
        call = find_call(self.h, settled.mark, model.STREAMED_IN, tag)
        check_stream_in(self.h, call, messages, tag, half_closed=True)
        self._answer(settled, predicted, call, "grpc")

    def _answer(self, settled: Settled, predicted: model.Response, call: StreamInfo, via: str) -> None:
        answer = settled.answer
        self.h.note(answered(answer))
        response = self._responses(call)
        failure = isinstance(predicted.client, Failed)
        effect_check = checks.ACTION_FAILURE_EFFECTS if failure else checks.EFFECT_CALL
        forwards = [predicted.client.call] if isinstance(predicted.client, Forwarded) else []
        check_calls(
            self.h, settled, predicted.effects, forwards, sent_metadata(response[0] if response else None), effect_check
        )
        if isinstance(predicted.client, Failed):
            if via == "http":
                error = {"code": 2, "message": predicted.client.message, "details": []}
                self.rec.expect(checks.HTTP_FAILURE, (500, error), (answer.http_status, json_body(answer.body)))
            else:
                self.rec.expect(
                    checks.FAILURE, (grpc.StatusCode.UNKNOWN, predicted.client.message), (answer.code, answer.details)
                )
        else:
            message = predicted.client.message if isinstance(predicted.client, Replied) else ""
            check = answer_check(predicted.client, via)
            got = (answer.http_status if via == "http" else answer.code, list(answer.messages))
            expected = (200 if via == "http" else grpc.StatusCode.OK, [model_pb2.Response(message=message)])
            self.rec.expect(check, expected, got, answer.describe())
        self._end(settled.mark)

    # -- streamed-out and duplex: a stream of answers ----------------------------------------------------------

    @rule(request=strategies.action_request)
    def streamed_out(self, request: model.Request) -> None:
        tag, label = self._begin("ProcessStreamedOut")
        request = self.unique(request)
        message = wire.request(request)
        mark = self.h.icp.mark()
        stream = self.h.client.server_streaming(model.SERVICE, model.STREAMED_OUT, message, [(HEADER, tag)])
        expected = visible(model.streamed_out(request))
        self._receive(stream, expected, label, end=True)
        call = find_call(self.h, mark, model.STREAMED_OUT, tag)
        command = action_pb2.ActionCommand(service_name=model.SERVICE, name=model.STREAMED_OUT, payload=pack(message))
        expect_command(self.h, first_command(self.h, call), command, tag, "grpc")
        self._effects(mark, expected, call, label)

    @rule(target=calls)
    def open_duplex(self) -> int:
        tag, _ = self._begin("ProcessStreamed: open")
        mark = self.h.icp.mark()
        stream = self.h.client.duplex(model.SERVICE, model.STREAMED, [(HEADER, tag)])
        self.open[self.step] = Duplex(stream, mark, tag)
        return self.step

    @rule(call=calls, request=strategies.action_request)
    def duplex_request(self, call: int, request: model.Request) -> None:
        if call not in self.open:
            return  # a failure ended it
        _, label = self._begin(f"ProcessStreamed #{call}: a request")
        duplex = self.open[call]
        request = self.unique(request)
        mark = self.h.icp.mark()
        duplex.sent.append(wire.request(request))
        duplex.stream.send(duplex.sent[-1])
        expected = visible(model.streamed([request])[0])
        self._receive(duplex.stream, expected, label, end=expected.failure is not None)
        info = find_call(self.h, duplex.mark, model.STREAMED, duplex.tag)
        check_stream_in(self.h, info, duplex.sent, duplex.tag, half_closed=False)
        if expected.failure is not None:
            del self.open[call]
        self._effects(mark, expected, info, label)

    @rule(call=consumes(calls))
    def close_duplex(self, call: int) -> None:
        if call not in self.open:
            return
        duplex = self.open.pop(call)
        mark = self.h.icp.mark()
        duplex.stream.half_close()
        self._receive(duplex.stream, Visible((), None, (), (), ()), f"ProcessStreamed #{call}: half-closed", end=True)
        info = find_call(self.h, duplex.mark, model.STREAMED, duplex.tag)
        check_stream_in(self.h, info, duplex.sent, duplex.tag, half_closed=True)
        self._end(mark)

    def _receive(self, stream: DuplexStream[Any, Any], expected: Visible, label: str, end: bool) -> None:
        got: list[Message] = []
        for _ in expected.messages:
            item = stream.receive(self.h.bounds.wait)
            if isinstance(item, Closed | Silence):
                break
            got.append(item)
        ending: object = None
        if end:
            ending = stream.receive(self.h.bounds.wait)
        elif expected.failure is None:
            ending = stream.receive(self.h.bounds.probe)  # nothing more may come for this request
            ending = None if isinstance(ending, Silence) else ending
        self.h.note(f"proxy -> client ({label}): {[json_format.MessageToDict(m) for m in got]}, then {ending}")
        code = grpc.StatusCode.UNKNOWN if expected.failure is not None else grpc.StatusCode.OK
        want = (list(expected.messages), Closed(code, expected.failure or "") if end else None)
        self.rec.expect(checks.ACTION_STREAM_OUT, want, (got, normal(ending)), label)

    def _effects(self, mark: int, expected: Visible, call: StreamInfo, label: str) -> None:
        release = self.h.icp.released(label)
        settled = Settled(Answer(grpc.StatusCode.OK), release, mark)
        responses = [r for r in self._responses(call) if r.seq >= mark]
        sent: dict[Call, Any] = {}
        for response in responses:
            sent.update(sent_metadata(response))
        check_calls(self.h, settled, expected.effects, expected.forwards, sent)
        self.ignored.update(expected.ignored)
        self._end(mark)

    # -- what the proxy sent the user function -----------------------------------------------------------------

    def _responses(self, call: StreamInfo) -> list[Record]:
        return [r for r in self.h.icp.messages(call.id) if r.kind == "out"]

    def _end(self, mark: int) -> None:
        records = self.h.icp.records(self.start)
        streams = self.h.streams(records)
        ran = {call_of(streams[r.stream], r.message) for r in records if r.kind == "in"} & self.ignored
        self.rec.expect(checks.ACTION_AFTER_FAILURE, set(), ran, "calls of responses that followed a failure")
        self.rec.expect(checks.NO_REPORTS, [], self.h.icp.reported_errors(mark), "reportError calls")
        self.h.noted(mark)

    def teardown(self) -> None:
        for duplex in self.open.values():
            duplex.stream.cancel()
