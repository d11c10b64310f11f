"""Replies that are odd but allowed, and failures that carry too much (spec/05-commands.md, 06-failures.md).

A reply without payload is the empty output message (CMD-018); a payload of
another type name is delivered and reported (CMD-020/021); a failure reply
that also carries events, a state action or side effects keeps none of them
(FAIL-008/009); an action failure's ``command_id`` and ``restart`` change
nothing (ACT-019).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
from cloudstate import action_pb2, entity_pb2
from cloudstate.tck.model import action_pb2 as action_model
from google.protobuf.message import Message

from tck.models import action
from tck.models import valueentity as ve
from tck.proxy import faults_checks as fc
from tck.proxy.calls import command_of
from tck.proxy.faults_forge import ES, VE, Faults, Kind, action_responses, mentions, replies
from tck.proxy.faults_violations import QUEUE
from tck.proxy.harness import Harness
from tck.wire import eventsourced as es_wire
from tck.wire import valueentity as ve_wire
from tck.wire.common import pack

_PERSISTED = "cloudstate.tck.model.valueentity.Persisted"
_RESPONSE = "cloudstate.tck.model.valueentity.Response"


def forge_payload_unset(out: Any) -> Message:
    out.reply.client_action.reply.ClearField("payload")
    return out  # type: ignore[no-any-return]


def forge_other_type(out: Any) -> Message:
    # Persisted has Response's layout (one string, field 1): the bytes decode the same under either name.
    out.reply.client_action.reply.payload.type_url = f"type.googleapis.com/{_PERSISTED}"
    return out  # type: ignore[no-any-return]


def payload_unset(h: Harness) -> None:
    with Faults(h) as f:
        entity, mark = f.entity("p"), h.icp.mark()
        h.icp.rewrite(replies(VE.service, entity), forge_payload_unset)
        answer = f.process(VE, entity, [ve.Update("c")])
        h.rec.expect(fc.PAYLOAD_UNSET, (grpc.StatusCode.OK, [VE.response("")]), (answer.code, list(answer.messages)))
        f.process(VE, entity, [])  # a round trip, and a moment more, for a warning the proxy should not send
        time.sleep(QUEUE)
        h.rec.expect(fc.PAYLOAD_UNSET, [], h.icp.reported_errors(mark), "reportError calls")


def payload_type_differs(h: Harness) -> None:
    with Faults(h) as f:
        entity, mark = f.entity("t"), h.icp.mark()
        h.icp.rewrite(replies(VE.service, entity), forge_other_type)
        answer = f.process(VE, entity, [ve.Update("c")])
        h.rec.require(fc.TYPE_DIFFERS_DELIVERED, f.replied(answer, VE, "c"), answer.describe())
        report = f.report(mark, _PERSISTED, _RESPONSE)
        warned = report is not None and report.startswith("warning: ")
        h.rec.require(fc.TYPE_DIFFERS_REPORTED, warned, f"no warning naming {_PERSISTED} and {_RESPONSE}")


def failure_with_extras(kind: Kind) -> Callable[[Harness], None]:
    """The failure reply also carries a state change and side effects: nothing of them may happen."""

    def scenario(h: Harness) -> None:
        with Faults(h) as f:
            entity, target = f.entity("f"), f.entity("fx")
            h.rec.require(
                fc.FAILURE_EXTRAS_DROPPED, f.replied(f.process(kind, entity, [kind.change("a")]), kind, "a"), ""
            )
            mark = h.icp.mark()

            def extras(out: Any) -> Message:
                reply = out.reply
                if kind is ES:
                    reply.events.append(pack(es_wire.persisted("forged")))
                else:
                    reply.state_action.update.value.CopyFrom(pack(ve_wire.persisted("forged")))
                for synchronous in (True, False):
                    effect = entity_pb2.SideEffect(service_name=ve.TWO, command_name="Call", synchronous=synchronous)
                    effect.payload.CopyFrom(pack(ve_wire.request(target, ())))
                    reply.side_effects.append(effect)
                return out  # type: ignore[no-any-return]

            h.icp.rewrite(replies(kind.service, entity), extras)
            answer = f.process(kind, entity, [ve.Fail("no")])
            delivered = answer.code == grpc.StatusCode.UNKNOWN and answer.details == "no"
            h.rec.require(fc.FAILURE_EXTRAS_REPORTED, delivered, f"the failure: {answer.describe()}")
            report = f.report(mark, entity)
            stream = f.command_stream(kind.service, entity, mark)
            command = _last_command_id(f, stream.id if stream else 0)
            named = report is not None and report.startswith("warning: ")
            named = named and report is not None and mentions(report.replace(entity, ""), command)
            h.rec.require(fc.FAILURE_EXTRAS_REPORTED, named, f"reported: {report!r} (command {command})")
            read = f.reload(kind, entity)
            time.sleep(QUEUE)  # an asynchronous side effect would have started by now
            h.rec.require(fc.FAILURE_EXTRAS_DROPPED, f.replied(read, kind, "a"), f"read back: {read.describe()}")
            h.rec.expect(fc.FAILURE_EXTRAS_DROPPED, 0, f.calls_of(ve.TWO, target, mark), "calls of the side effects")

    return scenario


def _last_command_id(f: Faults, stream: int) -> int:
    commands = [command_of(r.message) for r in f.h.icp.messages(stream) if r.kind == "in"]
    ids = [c.id for c in commands if c is not None]
    return ids[-1] if ids else -1


def action_failure_fields(h: Harness) -> None:
    def refuse(out: Any) -> Message:
        return action_pb2.ActionResponse(
            failure=entity_pb2.Failure(command_id=7, description="refused", restart=True),
            side_effects=out.side_effects,
        )

    with Faults(h) as f:
        request = action_model.Request(groups=[action_model.ProcessGroup(steps=[_reply("x")])])
        h.icp.rewrite(action_responses(action.SERVICE), refuse)
        answer = h.client.unary(action.SERVICE, "ProcessUnary", request)
        f.h.note(f"proxy -> client: {answer.describe()}")
        expected = (grpc.StatusCode.UNKNOWN, "refused")
        h.rec.expect(fc.ACTION_FAILURE_FIELDS, expected, (answer.code, answer.details), "the failure")
        request = action_model.Request(groups=[action_model.ProcessGroup(steps=[_reply("y")])])
        again = h.client.unary(action.SERVICE, "ProcessUnary", request)
        ok = (again.code, list(again.messages)) == (grpc.StatusCode.OK, [action_model.Response(message="y")])
        h.rec.require(fc.ACTION_FAILURE_FIELDS, ok, f"the next call: {again.describe()}")


def _reply(message: str) -> action_model.ProcessStep:
    return action_model.ProcessStep(reply=action_model.Reply(message=message))


SCENARIOS: dict[str, Callable[[Harness], None]] = {
    "payload_unset": payload_unset,
    "payload_type_differs": payload_type_differs,
    "ve_failure_with_extras": failure_with_extras(VE),
    "es_failure_with_extras": failure_with_extras(ES),
    "action_failure_fields": action_failure_fields,
}
