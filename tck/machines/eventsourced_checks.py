"""The checks of the event-sourced machine, with the requirements each covers, and the reply comparison.

:func:`compare` takes a reply apart in a fixed order (client action kind,
failure hygiene, events, outcome, side effects, snapshot) so that the first
mismatch is reported under the most specific check.
"""

from __future__ import annotations

from cloudstate import event_sourced_pb2 as pb

from tck.checks import Check, Recorder
from tck.models import eventsourced as es
from tck.wire.common import normalised_action, normalised_effects

REPLAY_SILENT = Check(
    "es.replay.silent", ("ES-021", "CMD-013"), "the first message after init and replay is the first reply"
)
COMMAND_ID = Check("es.reply.command_id", ("CMD-013", "TRN-025"), "one reply per command, with its id")
CLIENT_ACTION = Check("es.reply.client_action", ("CMD-015",), "every reply has a client action")
OUTCOME = Check(
    "es.reply.outcome", ("TCKM-024", "TCKM-026", "TCKM-028", "TCKM-029"), "reply, forward or failure as the actions say"
)
FAILURE_CLEAN = Check(
    "es.failure.clean", ("FAIL-007", "TCKM-031"), "a failure carries no events, snapshot or side effects"
)
FAILURE = Check("es.failure.description", ("TCKM-028",), "the failure's description is the fail action's message")
FAILURE_COMMAND_ID = Check(
    "es.failure.command_id", ("FAIL-002",), "a failure names the command it answers", advisory=True
)
EVENTS = Check(
    "es.reply.events", ("ES-024", "TCKM-021", "TCKM-025", "TCKM-030"), "the emitted events, in order, as Persisted"
)
REPLY = Check(
    "es.reply.state",
    (
        "TCKM-029",
        "TCKM-020",
        "TCKM-022",
        "TCKM-023",
        "ES-014",
        "ES-015",
        "ES-020",
        "ES-034",
        "ES-038",
        "TRN-026",
        "CMD-019",
    ),
    "the reply is Response{state} with the state from init, replay and the command's events",
)
FORWARD = Check("es.reply.forward", ("TCKM-026", "FX-022"), "the last forward action, to EventSourcedTwo/Call")
EFFECTS = Check("es.reply.side_effects", ("TCKM-027", "TCKM-030", "FX-028", "FX-030"), "the side effects, in order")
SNAPSHOT_WITHOUT_EVENTS = Check("es.snapshot.needs_events", ("ES-026",), "no snapshot in a reply without events")
SNAPSHOT_RULE = Check(
    "es.snapshot.rule", ("ES-032", "TCKM-033"), "a snapshot exactly when an event's sequence number is a multiple of 5"
)
SNAPSHOT_STATE = Check(
    "es.snapshot.state", ("ES-027", "ES-028", "TCKM-034"), "the snapshot is the state after all the reply's events"
)
ROLLBACK = Check(
    "es.failure.rollback", ("ES-041", "TCKM-032"), "after a failure without restart the state is as before the command"
)
RESTART_ENDS = Check(
    "es.failure.restart", ("ES-048", "TRN-031"), "after a restart failure the user function completes when half-closed"
)
PASSIVATION = Check(
    "es.passivation", ("TRN-031", "PASS-017"), "a half-closed stream is completed, with nothing more sent"
)
TWO = Check("es.two", ("TCKM-035",), "EventSourcedTwo/Call replies with an empty Response and nothing else")

_PREFIX = "es.violation."
VIOLATIONS = {
    "command-before-init": Check(_PREFIX + "command_before_init", ("FAIL-037",), "a command before init"),
    "unknown-service": Check(_PREFIX + "unknown_service", ("FAIL-039",), "init names an unknown service"),
    "second-init": Check(_PREFIX + "second_init", ("FAIL-038",), "a second init"),
    "event-after-command": Check(_PREFIX + "event_after_command", ("ES-054",), "an event after a command"),
    "other-entity-id": Check(_PREFIX + "other_entity_id", ("FAIL-042",), "a command for another entity id"),
    "unknown-command": Check(_PREFIX + "unknown_command", ("FAIL-040",), "a command name the service lacks"),
    "wrong-payload-type": Check(_PREFIX + "wrong_payload_type", ("FAIL-041",), "a payload of another type"),
    "empty-message": Check(_PREFIX + "empty_message", ("FAIL-043",), "an in message with nothing set"),
}


def compare(
    rec: Recorder,
    observed: pb.EventSourcedReply,
    expected: pb.EventSourcedReply,
    outcome: es.Outcome,
    state: Check = REPLY,
) -> None:
    """Check a reply against the predicted one (``expected`` is what a conforming user function sends).

    ``state`` is the check for the reply's payload, so that a probe after a failure can report a wrong
    state as a missing rollback.
    """
    kind = observed.client_action.WhichOneof("action")
    rec.require(CLIENT_ACTION, kind is not None, f"reply without a client action: {observed}")
    predicted = expected.client_action.WhichOneof("action")
    rec.expect(OUTCOME, predicted, kind, "client action")
    if predicted == "failure":
        extras = (list(observed.events), observed.HasField("snapshot"), list(observed.side_effects))
        rec.expect(FAILURE_CLEAN, ([], False, []), extras, "(events, has snapshot, side effects)")
        rec.expect(FAILURE_COMMAND_ID, observed.command_id, observed.client_action.failure.command_id)
        rec.expect(
            FAILURE, normalised_action(expected.client_action, False), normalised_action(observed.client_action, False)
        )
        return
    rec.expect(EVENTS, list(expected.events), list(observed.events))
    check = state if predicted == "reply" else FORWARD
    rec.expect(check, normalised_action(expected.client_action), normalised_action(observed.client_action))
    rec.expect(EFFECTS, list(expected.side_effects), normalised_effects(observed.side_effects))
    if not observed.events:
        rec.require(SNAPSHOT_WITHOUT_EVENTS, not observed.HasField("snapshot"), f"snapshot {observed.snapshot}")
    span = f"events {outcome.entity.sequence - len(outcome.events) + 1}..{outcome.entity.sequence}"
    rec.expect(SNAPSHOT_RULE, expected.HasField("snapshot"), observed.HasField("snapshot"), f"snapshot with {span}")
    if expected.HasField("snapshot"):
        rec.expect(SNAPSHOT_STATE, expected.snapshot, observed.snapshot)
