"""SDK conformance for actions: the TCK plays the proxy against ActionTckModel, in all four call shapes.

Unary, streamed-in and streamed-out calls are single rules; duplex calls stay
open across rules (a bundle of open calls), so requests to several calls
interleave with each other and with other calls. Every response is compared
with the model's prediction under the check of its call shape.
"""

from __future__ import annotations

from cloudstate import action_pb2
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, rule

from tck import strategies
from tck.checks import Check, Recorder
from tck.machines import entity as common
from tck.models import action as model
from tck.models.effects import Call
from tck.sdk.driver import ActionStream, UserFunction
from tck.sdk.streams import Closed
from tck.wire import action as wire
from tck.wire.common import normalised_effects, pack

_SHAPE = ("TCKM-048", "TCKM-049", "TCKM-050", "TCKM-051", "TCKM-052", "TCKM-058", "FX-022", "FX-028", "CMD-019")
UNARY = Check("action.unary", ("TCKM-053", "ACT-011", *_SHAPE), "ProcessUnary: one response for all groups")
STREAMED_IN = Check(
    "action.streamed_in",
    ("TCKM-054", "ACT-009", "ACT-011", *_SHAPE),
    "ProcessStreamedIn: one response for all requests",
)
STREAMED_OUT = Check(
    "action.streamed_out", ("TCKM-055", "TCKM-057", *_SHAPE), "ProcessStreamedOut: one response per group, then the end"
)
STREAMED = Check(
    "action.streamed", ("TCKM-056", "TCKM-057", *_SHAPE), "ProcessStreamed: one response per group of each request"
)
FAILURE_IDS = Check(
    "action.failure.fields", ("ACT-018",), "an action failure has command id 0 and restart false", advisory=True
)
TWO = Check("action.two", ("TCKM-059",), "ActionTwo/Call replies with an empty Response")
UNKNOWN = Check("action.unknown", ("ACT-010",), "a call for an unknown service or method ends with an error status")


def normalised(response: action_pb2.ActionResponse) -> action_pb2.ActionResponse:
    """A copy without what the model leaves open: metadata, and a failure's command id and restart."""
    copy = action_pb2.ActionResponse()
    copy.CopyFrom(response)
    kind = copy.WhichOneof("response")
    if kind in ("reply", "forward"):
        getattr(copy, kind).ClearField("metadata")
    elif kind == "failure":
        copy.failure.ClearField("command_id")
        copy.failure.ClearField("restart")
    del copy.side_effects[:]
    copy.side_effects.extend(normalised_effects(response.side_effects))
    return copy


class ActionMachine(RuleBasedStateMachine):
    calls = Bundle("duplex_calls")

    def __init__(self, uf: UserFunction, rec: Recorder | None = None) -> None:
        super().__init__()
        self.uf, self.rec = uf, rec or Recorder()
        self.open: dict[int, ActionStream] = {}
        self.opened = 0

    def _compare(self, check: Check, predicted: model.Response, observed: action_pb2.ActionResponse | Closed) -> None:
        if isinstance(observed, Closed):
            self.rec.fail(check, f"expected {wire.response(predicted)}, got {common.describe(observed)}")
        if observed.WhichOneof("response") == "failure":
            failure = observed.failure
            self.rec.expect(FAILURE_IDS, (0, False), (failure.command_id, failure.restart), "(command id, restart)")
        self.rec.expect(check, wire.response(predicted), normalised(observed))

    @rule(request=strategies.action_request)
    def unary(self, request: model.Request) -> None:
        observed = self.uf.action_unary(wire.command(model.UNARY, wire.request(request)))
        self._compare(UNARY, model.unary(request), observed)

    @rule(requests=strategies.action_requests)
    def streamed_in(self, requests: list[model.Request]) -> None:
        observed = self.uf.action_streamed_in(wire.stream_commands(model.STREAMED_IN, requests))
        self._compare(STREAMED_IN, model.streamed_in(requests), observed)

    @rule(request=strategies.action_request)
    def streamed_out(self, request: model.Request) -> None:
        stream = self.uf.action_streamed_out(wire.command(model.STREAMED_OUT, wire.request(request)))
        self._receive(STREAMED_OUT, stream, model.streamed_out(request))
        common.expect_end(self.rec, stream, STREAMED_OUT)

    @rule(target=calls)
    def open_duplex(self) -> int:
        stream = self.uf.action_streamed()
        stream.send(wire.command(model.STREAMED, None))
        self.opened += 1
        self.open[self.opened] = stream
        return self.opened

    @rule(call=calls, request=strategies.action_request)
    def duplex_request(self, call: int, request: model.Request) -> None:
        stream = self.open[call]
        stream.send(wire.stream_commands(model.STREAMED, [request])[1])
        self._receive(STREAMED, stream, model.streamed([request])[0])

    @rule(call=consumes(calls))
    def close_duplex(self, call: int) -> None:
        stream = self.open.pop(call)
        stream.half_close()
        common.expect_end(self.rec, stream, STREAMED)

    def _receive(self, check: Check, stream: ActionStream, predicted: tuple[model.Response, ...]) -> None:
        for response in predicted:
            item = stream.receive()
            if not isinstance(item, action_pb2.ActionResponse):
                self.rec.fail(check, f"expected {wire.response(response)}, got {common.describe(item)}")
            self._compare(check, response, item)

    @rule(other_id=strategies.ids)
    def call_two(self, other_id: str) -> None:
        payload = pack(wire.payload_of(Call(model.TWO, "Call", other_id)))
        command = action_pb2.ActionCommand(service_name=model.TWO, name="Call", payload=payload)
        self._compare(TWO, model.call_two(), self.uf.action_unary(command))

    @rule(kind=st.sampled_from(["service", "method"]))
    def unknown_target(self, kind: str) -> None:
        command = wire.command(model.UNARY, wire.request(()))
        if kind == "service":
            command.service_name = "cloudstate.tck.model.action.NoSuchAction"
        else:
            command.name = "NoSuchMethod"
        observed = self.uf.action_unary(command)
        self.rec.require(UNKNOWN, isinstance(observed, Closed), f"expected an error status, got {observed}")

    def teardown(self) -> None:
        for stream in self.open.values():
            stream.cancel()
