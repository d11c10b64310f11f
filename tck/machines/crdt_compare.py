"""Comparing the answers of a CRDT user function with the model's prediction, check by check.

A user function may answer the commands of a CRDT stream in any order
(CMD-014), so :func:`compare` groups the predicted and the observed messages
by kind and command id and compares group by group, in order within a group
(the streamed messages of one call follow the changes in turn); only where
the TCK sent a single message is the exact order checked too (TCKM-090).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from cloudstate import crdt_pb2 as c

from tck.checks import Check, Recorder, render
from tck.machines.crdt_checks import (
    CANCELLED,
    CONSISTENCY,
    DELTAS,
    EFFECTS,
    FAILURE,
    FAILURE_CLEAN,
    FAILURE_COMMAND_ID,
    FORWARD,
    ORDER,
    OUTCOME,
    STATE_ACTION,
    STREAMED,
)
from tck.machines.crdt_surplus import surplus
from tck.machines.entity import VIOLATION_COMMAND_ID
from tck.models.crdt_messages import canonical
from tck.models.crdt_values import Value


@dataclasses.dataclass(frozen=True)
class Expect:
    """How to judge the answers to one step: the check for missing or extra answers, and the state checks."""

    trigger: Check
    kind: type[Value]
    reply_state: Check
    stream_state: Check
    ordered: bool = True


Key = tuple[str, int]


def _key(out: c.CrdtStreamOut) -> Key:
    kind = out.WhichOneof("message")
    return (kind or "nothing", 0 if kind in ("failure", None) else getattr(out, kind).command_id)


def _groups(outs: Iterable[c.CrdtStreamOut]) -> dict[Key, list[c.CrdtStreamOut]]:
    groups: dict[Key, list[c.CrdtStreamOut]] = {}
    for out in outs:
        groups.setdefault(_key(out), []).append(canonical(out))
    return groups


def compare(rec: Recorder, predicted: Sequence[c.CrdtStreamOut], observed: Sequence[object], how: Expect) -> None:
    """``observed`` may end early with the stream's end or a silence, which then shows in the failure."""
    answers = [o for o in observed if isinstance(o, c.CrdtStreamOut)]
    expected, got = _groups(predicted), _groups(answers)
    for key, outs in expected.items():  # what came is judged first: a wrong answer says more than a missing one
        for want, have in zip(outs, got.get(key, ()), strict=False):
            _compare_one(rec, want, have, how)
    shape = {k: len(v) for k, v in expected.items()}
    if len(answers) != len(observed) or shape != {k: len(v) for k, v in got.items()}:
        rec.miss(how.trigger, f"expected {render(list(predicted))}\nobserved {render(list(observed))}")
        return
    rec.ok(how.trigger)
    if how.ordered:
        rec.expect(ORDER, [_key(p) for p in predicted], [_key(a) for a in answers], "(kind, command id) in turn")


def _compare_one(rec: Recorder, want: c.CrdtStreamOut, have: c.CrdtStreamOut, how: Expect) -> None:
    match want.WhichOneof("message"):
        case "reply":
            _reply(rec, want.reply, have.reply, how)
        case "streamed_message":
            p, o = want.streamed_message, have.streamed_message
            rec.expect(how.stream_state, p.client_action, o.client_action)
            rec.expect(STREAMED, _streamed_shape(p), _streamed_shape(o), "(end, side effects, client action)")
        case "stream_cancelled_response":
            p2, o2 = want.stream_cancelled_response, have.stream_cancelled_response
            rec.expect(CANCELLED, list(p2.side_effects), list(o2.side_effects), "side effects")
            _state_action(rec, p2.state_action, o2.state_action, how.kind, CANCELLED)
        case "failure":
            rec.expect(VIOLATION_COMMAND_ID, want.failure.command_id, have.failure.command_id, "command id")


def _streamed_shape(m: c.CrdtStreamedMessage) -> tuple[bool, list[object], str | None]:
    return m.end_stream, list(m.side_effects), m.client_action.WhichOneof("action")


def _reply(rec: Recorder, p: c.CrdtReply, o: c.CrdtReply, how: Expect) -> None:
    kind = p.client_action.WhichOneof("action")
    rec.expect(OUTCOME, (kind, p.streamed), (o.client_action.WhichOneof("action"), o.streamed), "(action, streamed)")
    if kind == "failure":
        extras = (o.state_action.WhichOneof("action"), list(o.side_effects))
        rec.expect(FAILURE_CLEAN, (None, []), extras, "(state action, side effects)")
        rec.expect(FAILURE_COMMAND_ID, o.command_id, o.client_action.failure.command_id)
        rec.expect(FAILURE, p.client_action.failure.description, o.client_action.failure.description)
        return
    _state_action(rec, p.state_action, o.state_action, how.kind, STATE_ACTION)
    rec.expect(EFFECTS, list(p.side_effects), list(o.side_effects))
    if kind == "forward":
        rec.expect(FORWARD, p.client_action, o.client_action)
    elif kind == "reply":
        rec.expect(how.reply_state, p.client_action, o.client_action)


def _state_action(rec: Recorder, p: c.CrdtStateAction, o: c.CrdtStateAction, kind: type[Value], check: Check) -> None:
    """A delete where none belongs (or none where one does) fails ``check``; a wrong or missing delta its type's."""
    which, observed = p.WhichOneof("action"), o.WhichOneof("action")
    if "delete" in (which, observed):
        rec.expect(check, which, observed, "state action")
    else:
        expected = p.update if which else None
        issues, got = surplus(expected, o.update) if observed else ((), None)
        for check, detail in issues:
            rec.miss(check, f"{detail} in {render(o.update)}")
        rec.expect(DELTAS[kind.KIND], expected, got, "delta")
    if which is not None:
        names = c.CrdtWriteConsistency.Name
        rec.expect(CONSISTENCY, names(p.write_consistency), names(o.write_consistency))
