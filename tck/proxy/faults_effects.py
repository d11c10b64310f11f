"""Forwards and side effects with unusable targets (spec/05-commands.md, spec/03-entity-keys.md).

The value entity's reply (or the action's response) is forged into a forward
or given extra side effects that name an unknown service or method, a
streaming method, a method of another output type, a payload without the
target's entity key, or a payload of another type name. A forward that cannot
run fails the client call with INTERNAL; a side effect that cannot run is
skipped while the rest goes on; each is reported to the user function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from cloudstate import action_pb2, entity_pb2
from cloudstate.tck.model import action_pb2 as action_model
from google.protobuf.message import Message

from tck.checks import Check
from tck.models import action
from tck.models import eventsourced as es
from tck.models import valueentity as ve
from tck.proxy import faults_checks as fc
from tck.proxy.faults_forge import VE, Faults, action_responses, replies
from tck.proxy.harness import Harness
from tck.wire import eventsourced as es_wire
from tck.wire import valueentity as ve_wire
from tck.wire.common import pack

NOWHERE = "cloudstate.tck.model.valueentity.Nowhere"
STREAMED_OUT = "ProcessStreamedOut"
_VE_REQUEST, _ES_REQUEST = "cloudstate.tck.model.valueentity.Request", "cloudstate.tck.model.Request"


def _action_request(message: str) -> action_model.Request:
    step = action_model.ProcessStep(reply=action_model.Reply(message=message))
    return action_model.Request(groups=[action_model.ProcessGroup(steps=[step])])


def _forward(service: str, method: str, payload: Message) -> Callable[[Any], Message]:
    def forge(out: Any) -> Message:
        forward = entity_pb2.Forward(service_name=service, command_name=method, payload=pack(payload))
        if isinstance(out, action_pb2.ActionResponse):
            return action_pb2.ActionResponse(forward=forward)
        out.reply.client_action.forward.CopyFrom(forward)  # replaces the reply: the one-of holds one action
        return out  # type: ignore[no-any-return]

    return forge


def _forward_fails(
    check: Check, target: tuple[str, str, Message], needles: Sequence[str], not_called: tuple[str, str] | None = None
) -> Callable[[Harness], None]:
    """A value entity's reply becomes a forward to ``target``: INTERNAL, a report with ``needles``, no call."""

    def scenario(h: Harness) -> None:
        with Faults(h) as f:
            entity, mark = f.entity("w"), h.icp.mark()
            h.icp.rewrite(replies(VE.service, entity), _forward(*target))
            answer = f.process(VE, entity, [])
            h.rec.expect(check, grpc.StatusCode.INTERNAL, answer.code, f"the forwarding call: {answer.describe()}")
            report = f.report(mark, *needles)
            h.rec.require(check, report is not None and report.startswith("error: "), f"no error naming {needles}")
            if not_called is not None:
                h.rec.expect(check, 0, f.calls_of(*not_called, mark), f"commands to {not_called}")

    return scenario


def forward_payload_type(h: Harness) -> None:
    with Faults(h) as f:
        entity, target, mark = f.entity("w"), f.entity("wt"), h.icp.mark()
        h.icp.rewrite(replies(VE.service, entity), _forward(ve.TWO, "Call", es_wire.request(target, ())))
        answer = f.process(VE, entity, [])
        h.rec.require(fc.FORWARD_PAYLOAD_TYPE, f.replied(answer, VE, ""), f"the target's answer: {answer.describe()}")
        report = f.report(mark, _VE_REQUEST, _ES_REQUEST)
        warned = report is not None and report.startswith("warning: ")
        h.rec.require(fc.FORWARD_PAYLOAD_TYPE, warned, f"no warning naming {_VE_REQUEST} and {_ES_REQUEST}")
        h.rec.expect(fc.FORWARD_PAYLOAD_TYPE, 1, f.calls_of(ve.TWO, target, mark), "commands to the target")


def forward_to_streaming(h: Harness) -> None:
    """An action's reply becomes a forward to a server-streaming method of the same output type."""
    with Faults(h) as f:
        mark = h.icp.mark()
        h.icp.rewrite(action_responses(action.SERVICE), _forward(action.SERVICE, STREAMED_OUT, _action_request("s")))
        answer = h.client.unary(action.SERVICE, "ProcessUnary", _action_request("r"))
        f.h.note(f"proxy -> client: {answer.describe()}")
        h.rec.expect(fc.FORWARD_STREAMING, grpc.StatusCode.INTERNAL, answer.code, answer.describe())
        report = f.report(mark, STREAMED_OUT)
        h.rec.require(fc.FORWARD_STREAMING, report is not None, f"no report naming {STREAMED_OUT}")
        calls = [s for s in h.icp.log.streams(protocol="action", since=mark) if s.method.endswith("StreamedOut")]
        h.rec.expect(fc.FORWARD_STREAMING, [], [s.id for s in calls], "calls of the streaming target")


def forward_chain(h: Harness) -> None:
    """Every response of the action forwards to the action itself: 32 forwards run, the 33rd fails the call."""
    with Faults(h) as f:
        mark = h.icp.mark()
        loop = _forward(action.SERVICE, "ProcessUnary", _action_request("again"))
        rewrite = h.icp.rewrite(action_responses(action.SERVICE), loop, times=None)
        try:
            answer = h.client.unary(action.SERVICE, "ProcessUnary", _action_request("first"))
        finally:
            h.icp.unrewrite(rewrite)
        f.h.note(f"proxy -> client: {answer.describe()}")
        h.rec.expect(fc.FORWARD_CHAIN, grpc.StatusCode.INTERNAL, answer.code, answer.describe())
        report = f.report(mark, action.SERVICE)
        h.rec.require(fc.FORWARD_CHAIN, report is not None, f"no report naming {action.SERVICE}")
        calls = [s for s in h.icp.log.streams(protocol="action", since=mark) if s.service == action.SERVICE]
        h.rec.expect(fc.FORWARD_CHAIN, 33, len(calls), "action calls: the client's and 32 forwards")


def _effect(service: str, method: str, payload: Message) -> entity_pb2.SideEffect:
    return entity_pb2.SideEffect(service_name=service, command_name=method, payload=pack(payload), synchronous=True)


def side_effects(h: Harness) -> None:
    """Unusable side effects among good ones: each is skipped and reported, the good ones and the reply go on."""
    with Faults(h) as f:
        entity, good, odd = f.entity("e"), f.entity("eg"), f.entity("eo")
        effects = [
            _effect(NOWHERE, "Call", ve_wire.request(f.entity("en"), ())),
            _effect(action.SERVICE, STREAMED_OUT, _action_request("s")),
            _effect(ve.TWO, "Call", ve_wire.request("", ())),
            _effect(ve.TWO, "Call", es_wire.request(odd, ())),
            _effect(ve.TWO, "Call", ve_wire.request(good, ())),
        ]

        def add(out: Any) -> Message:
            out.reply.side_effects.extend(effects)
            return out  # type: ignore[no-any-return]

        mark = h.icp.mark()
        h.icp.rewrite(replies(VE.service, entity), add)
        answer = f.process(VE, entity, [ve.Update("s")])
        h.rec.require(fc.EFFECTS_GO_ON, f.replied(answer, VE, "s"), f"the reply: {answer.describe()}")
        h.rec.expect(fc.EFFECTS_GO_ON, 1, f.calls_of(ve.TWO, good, mark), "commands of the good side effect")
        h.rec.require(fc.EFFECT_UNKNOWN, f.report(mark, NOWHERE) is not None, f"no report naming {NOWHERE}")
        h.rec.require(fc.EFFECT_STREAMING, f.report(mark, STREAMED_OUT) is not None, f"no report of {STREAMED_OUT}")
        calls = [s for s in h.icp.log.streams(protocol="action", since=mark) if s.method.endswith("StreamedOut")]
        h.rec.expect(fc.EFFECT_STREAMING, [], [s.id for s in calls], "calls of the streaming target")
        no_key = f.report(mark, ve.TWO, "Call", unless=_ES_REQUEST)  # not the warning about the odd one
        h.rec.require(fc.EFFECT_NO_KEY, no_key is not None, f"no report naming {ve.TWO} and Call")
        h.rec.expect(fc.EFFECT_NO_KEY, 0, f.calls_of(ve.TWO, "", mark), "commands of the keyless side effect")
        typed = f.report(mark, _VE_REQUEST, _ES_REQUEST)
        h.rec.require(fc.EFFECT_PAYLOAD_TYPE, typed is not None and typed.startswith("warning: "), f"got {typed!r}")
        h.rec.expect(fc.EFFECT_PAYLOAD_TYPE, 1, f.calls_of(ve.TWO, odd, mark), "commands of the odd side effect")


SCENARIOS: dict[str, Callable[[Harness], None]] = {
    "forward_unknown_service": _forward_fails(
        fc.FORWARD_UNKNOWN, (NOWHERE, "Call", ve_wire.request("x", ())), [NOWHERE]
    ),
    "forward_unknown_method": _forward_fails(
        fc.FORWARD_UNKNOWN, (ve.TWO, "Nothing", ve_wire.request("x", ())), [ve.TWO, "Nothing"]
    ),
    "forward_output_type": _forward_fails(
        fc.FORWARD_OUTPUT,
        (es.TWO, "Call", es_wire.request("x", ())),
        ["cloudstate.tck.model.Response", "cloudstate.tck.model.valueentity.Response"],
        (es.TWO, "x"),
    ),
    "forward_no_key": _forward_fails(fc.FORWARD_NO_KEY, (ve.TWO, "Call", ve_wire.request("", ())), [ve.TWO, "Call"]),
    "forward_payload_type": forward_payload_type,
    "forward_to_streaming": forward_to_streaming,
    "forward_chain": forward_chain,
    "side_effects": side_effects,
}
