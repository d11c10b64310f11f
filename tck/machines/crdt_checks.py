"""The checks of the CRDT machine, with the requirements each covers, and the comparison of a batch of answers.

A user function may answer the commands of a CRDT stream in any order
(CMD-014), so :func:`compare` groups the predicted and the observed messages
by kind and command id and compares group by group, in order within a group
(the streamed messages of one call follow the changes in turn); only where
the TCK sent a single message is the exact order checked too (TCKM-090).
Which check a wrong state fails under depends on what changed the value since
a message last showed it (:func:`state_check`), so that a failure names the
narrowest cause the TCK can tell.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence

from cloudstate import crdt_pb2 as c

from tck.checks import Check, Recorder, render
from tck.machines.crdt_surplus import surplus
from tck.machines.entity import VIOLATION_COMMAND_ID
from tck.models.crdt_messages import canonical
from tck.models.crdt_values import Value

ANSWERS = Check(
    "crdt.answers",
    ("CMD-013", "CRDT-059", "TCKM-085", "TCKM-086", "TCKM-088", "TCKM-092", "CRDT-054"),
    "one reply per command, one answer per cancellation, one streamed message per open call and change",
)
ORDER = Check("crdt.answers.order", ("TCKM-090",), "an answer first, then streamed messages by command id")
OUTCOME = Check(
    "crdt.reply.outcome",
    ("TCKM-073", "TCKM-075", "TCKM-078", "TCKM-084", "CRDT-044"),
    "reply, forward, failure or nothing as the actions say; streamed only for a streamed call",
)
FAILURE_CLEAN = Check("crdt.failure.clean", ("FAIL-007", "TCKM-075"), "a failure carries no state action or effects")
FAILURE = Check("crdt.failure.description", ("TCKM-075",), "the failure's description is the fail action's message")
FAILURE_COMMAND_ID = Check(
    "crdt.failure.command_id", ("FAIL-002",), "a failure names the command it answers", advisory=True
)
STATE_ACTION = Check("crdt.reply.delete", ("TCKM-072", "TCKM-077"), "a delete exactly for a delete action")
CONSISTENCY = Check("crdt.reply.write_consistency", ("TCKM-071",), "the write consistency of the last update")
FORWARD = Check("crdt.reply.forward", ("TCKM-073", "FX-022"), "the last forward action, to CrdtTwo/Call")
EFFECTS = Check("crdt.reply.side_effects", ("TCKM-074", "FX-028"), "the side effects, in order")
STREAMED = Check(
    "crdt.streamed.message",
    ("TCKM-085", "TCKM-087", "TCKM-088", "CRDT-051"),
    "a streamed message names its call, carries the call's effects and ends the call at its end state",
)
CANCELLED = Check(
    "crdt.cancelled", ("TCKM-091", "CRDT-059"), "a cancellation is answered with the cancel update's delta only"
)
MALFORMED = Check(
    "crdt.malformed_delta", ("CRDT-018", "FAIL-012"), "a delta of another type than the value's fails the stream"
)
TYPE_FROM_ID = Check(
    "crdt.type_from_id",
    ("TCKM-060",),
    "a delta of another type than the entity id names fails the stream, also before the entity has a value",
)
PASSIVATION = Check(
    "crdt.passivation", ("TRN-031", "PASS-017"), "a half-closed stream is completed, with nothing more sent"
)
DELETED = Check(
    "crdt.deleted", ("TCKM-080", "CRDT-041", "TRN-031"), "after CrdtDelete nothing is sent and the stream completes"
)
DELETE_ENDS = Check("crdt.delete.ends", ("TRN-031",), "after a deleting command the half-closed stream completes")
TWO = Check("crdt.two", ("TCKM-081",), "CrdtTwo/Call replies with an empty Response, deleting when asked")
CONFIGURED = Check("crdt.configured", ("TCKM-082",), "CrdtConfigured/Call replies with an empty Response only")

_UF_DELTA = ("CRDT-023", "CRDT-024", "CRDT-027", "TCKM-065", "TCKM-068", "TCKM-077")
DELTAS = {
    "gcounter": Check("crdt.delta.gcounter", (*_UF_DELTA, "CRDT-GCOUNTER-002"), "the sum of the increments"),
    "pncounter": Check("crdt.delta.pncounter", (*_UF_DELTA, "CRDT-PNCOUNTER-002"), "the sum of the changes"),
    "gset": Check("crdt.delta.gset", (*_UF_DELTA, "CRDT-GSET-002"), "exactly the new elements"),
    "orset": Check(
        "crdt.delta.orset", (*_UF_DELTA, "CRDT-ORSET-002", "CRDT-ORSET-003"), "the net removals and additions"
    ),
    "lwwregister": Check(
        "crdt.delta.lwwregister",
        (*_UF_DELTA, "CRDT-LWW-002", "CRDT-LWW-003", "CRDT-LWW-006", "TCKM-063", "TCKM-069", "TCKM-070"),
        "the value and clock of the last write",
    ),
    "flag": Check("crdt.delta.flag", (*_UF_DELTA, "CRDT-FLAG-003", "CRDT-FLAG-004"), "true when switched on"),
    "ormap": Check(
        "crdt.delta.ormap",
        (*_UF_DELTA, "CRDT-ORMAP-002", "CRDT-ORMAP-003", "CRDT-ORMAP-004", "CRDT-ORMAP-005", "CRDT-ORMAP-006"),
        "removed, updated and added entries, nested deltas by their keys' types",
    ),
    "vote": Check("crdt.delta.vote", (*_UF_DELTA, "CRDT-VOTE-001"), "the new vote, only when it changed"),
}

# What may have made a shown state wrong: the requirements broken if it was that cause.
_RECEIVE = ("CRDT-GCOUNTER-001", "CRDT-PNCOUNTER-001", "CRDT-GSET-001", "CRDT-ORSET-001", "CRDT-LWW-001")
CAUSES = {
    "init": ("TCKM-060", "TCKM-061", "TCKM-062", "TCKM-064", "CRDT-017", "TCKM-079", *_RECEIVE),
    "command": ("TCKM-067", "TCKM-068", "TCKM-078", "TCKM-079", "TCKM-062", "TCKM-066", "TCKM-083", "CRDT-VOTE-003"),
    "own": ("CRDT-009", "CRDT-002", "CRDT-VOTE-003"),
    "remote": (
        "CRDT-008",
        "TCKM-061",
        *_RECEIVE,
        "CRDT-LWW-008",
        "CRDT-FLAG-001",
        "CRDT-FLAG-002",
        "CRDT-ORMAP-001",
        "CRDT-VOTE-006",
    ),
    "failed": ("FAIL-011", "TCKM-076"),
    "cancel": ("TCKM-091",),
}
STATES = {cause: Check(f"crdt.state.{cause}", ids, f"the state shown, after {cause}") for cause, ids in CAUSES.items()}


@functools.cache
def state_check(causes: frozenset[str]) -> Check:
    """The check for a shown state that these causes produced (one cause: its own check; several: the union)."""
    if len(causes) == 1:
        return STATES[next(iter(causes))]
    ids = tuple(dict.fromkeys(rid for cause in sorted(causes) for rid in CAUSES[cause]))
    return Check("crdt.state." + "+".join(sorted(causes)), ids, f"the state shown, after {', '.join(sorted(causes))}")


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
    shape = {k: len(v) for k, v in expected.items()}
    if len(answers) != len(observed) or shape != {k: len(v) for k, v in got.items()}:
        rec.miss(how.trigger, f"expected {render(list(predicted))}\nobserved {render(list(observed))}")
        return
    rec.ok(how.trigger)
    for key, outs in expected.items():
        for want, have in zip(outs, got[key], strict=True):
            _compare_one(rec, want, have, how)
    if how.ordered:
        rec.expect(ORDER, [canonical(p) for p in predicted], [canonical(a) for a in answers])


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
