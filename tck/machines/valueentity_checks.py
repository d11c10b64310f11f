"""The checks of the value-entity machine, with the requirements each covers, and the reply comparison."""

from __future__ import annotations

from cloudstate import value_entity_pb2 as pb

from tck.checks import Check, Recorder
from tck.wire.common import normalised_action, normalised_effects

FIRST_REPLY = Check("ve.init.silent", ("VE-012", "CMD-013"), "the first message after init is the first reply")
COMMAND_ID = Check("ve.reply.command_id", ("CMD-013", "TRN-025"), "one reply per command, with its id")
CLIENT_ACTION = Check("ve.reply.client_action", ("CMD-015",), "every reply has a client action")
OUTCOME = Check(
    "ve.reply.outcome", ("TCKM-038", "TCKM-042", "TCKM-044", "TCKM-046"), "reply, forward or failure as the actions say"
)
FAILURE_CLEAN = Check("ve.failure.clean", ("FAIL-007", "TCKM-044"), "a failure carries no state action or side effects")
FAILURE = Check("ve.failure.description", ("TCKM-044",), "the failure's description is the fail action's message")
FAILURE_COMMAND_ID = Check(
    "ve.failure.command_id", ("FAIL-002",), "a failure names the command it answers", advisory=True
)
STATE_ACTION = Check(
    "ve.reply.state_action",
    ("VE-016", "VE-017", "VE-018", "TCKM-037", "TCKM-039", "TCKM-040", "TCKM-041"),
    "one state action, the last update or delete, as Persisted",
)
REPLY = Check(
    "ve.reply.state",
    ("TCKM-046", "TCKM-036", "VE-010", "VE-011", "VE-015", "VE-019", "VE-020", "TRN-026", "CMD-019"),
    "the reply is Response{state} with the state from init and the command's actions",
)
FORWARD = Check("ve.reply.forward", ("TCKM-042", "FX-022"), "the last forward action, to ValueEntityTwo/Call")
EFFECTS = Check("ve.reply.side_effects", ("TCKM-043", "FX-028", "FX-030"), "the side effects, in order")
ROLLBACK = Check(
    "ve.failure.rollback", ("VE-026", "TCKM-045"), "after a failure without restart the state is as before the command"
)
RESTART_ENDS = Check(
    "ve.failure.restart", ("VE-032", "TRN-031"), "after a restart failure the user function takes no command"
)
PASSIVATION = Check(
    "ve.passivation", ("TRN-031", "PASS-017"), "a half-closed stream is completed, with nothing more sent"
)
TWO = Check("ve.two", ("TCKM-047",), "ValueEntityTwo/Call replies with an empty Response and nothing else")

_PREFIX = "ve.violation."
VIOLATIONS = {
    "command-before-init": Check(_PREFIX + "command_before_init", ("FAIL-037",), "a command before init"),
    "unknown-service": Check(_PREFIX + "unknown_service", ("FAIL-039",), "init names an unknown service"),
    "second-init": Check(_PREFIX + "second_init", ("FAIL-038",), "a second init"),
    "other-entity-id": Check(_PREFIX + "other_entity_id", ("FAIL-042",), "a command for another entity id"),
    "unknown-command": Check(_PREFIX + "unknown_command", ("FAIL-040",), "a command name the service lacks"),
    "wrong-payload-type": Check(_PREFIX + "wrong_payload_type", ("FAIL-041",), "a payload of another type"),
    "empty-message": Check(_PREFIX + "empty_message", ("FAIL-043",), "an in message with nothing set"),
}


def compare(rec: Recorder, observed: pb.ValueEntityReply, expected: pb.ValueEntityReply, state: Check = REPLY) -> None:
    """Check a reply against the predicted one; ``state`` is the check for the reply's payload."""
    kind = observed.client_action.WhichOneof("action")
    rec.require(CLIENT_ACTION, kind is not None, f"reply without a client action: {observed}")
    predicted = expected.client_action.WhichOneof("action")
    rec.expect(OUTCOME, predicted, kind, "client action")
    if predicted == "failure":
        extras = (observed.HasField("state_action"), list(observed.side_effects))
        rec.expect(FAILURE_CLEAN, (False, []), extras, "(has state action, side effects)")
        rec.expect(FAILURE_COMMAND_ID, observed.command_id, observed.client_action.failure.command_id)
        rec.expect(
            FAILURE, normalised_action(expected.client_action, False), normalised_action(observed.client_action, False)
        )
        return
    observed_action = observed.state_action if observed.state_action.WhichOneof("action") else None
    expected_action = expected.state_action if expected.HasField("state_action") else None
    rec.expect(STATE_ACTION, expected_action, observed_action)
    check = state if predicted == "reply" else FORWARD
    rec.expect(check, normalised_action(expected.client_action), normalised_action(observed.client_action))
    rec.expect(EFFECTS, list(expected.side_effects), normalised_effects(observed.side_effects))
