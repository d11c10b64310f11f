"""The checks of the CRDT machine, with the requirements each covers.

Which check a wrong state fails under depends on what changed the value since
a message last showed it (:func:`state_check`), so that a failure names the
narrowest cause the TCK can tell; a delta is checked under the check of the
entity's type (:data:`DELTAS`).
"""

from __future__ import annotations

import functools

from tck.checks import Check

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
VIOLATIONS = {
    "command-before-init": Check(
        "crdt.violation.command_before_init", ("CRDT-016", "FAIL-037"), "a stream that starts with a command"
    ),
    "second-init": Check("crdt.violation.second_init", ("CRDT-016", "FAIL-038"), "a second init on a stream"),
}
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
