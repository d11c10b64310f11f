"""The checks of ``proxy/faults``: what the proxy does with a user function's bad or odd messages."""

from __future__ import annotations

from tck.checks import Check

# -- protocol violations (spec/06-failures.md) ---------------------------------------------------------------
UNKNOWN_ID = Check("proxy.faults.unknown_command_id", ("FAIL-030",), "a reply to no outstanding command is a violation")
UNSET = Check("proxy.faults.unset_message", ("FAIL-031",), "an out message with its one-of unset is a violation")
SNAPSHOT_ONLY = Check("proxy.faults.snapshot_only", ("ES-053",), "a snapshot without events is a violation")
UPDATE_NO_VALUE = Check("proxy.faults.update_no_value", ("VE-034",), "an update without a value is a violation")
NO_CLIENT_ACTION = Check("proxy.faults.no_client_action", ("CMD-016",), "a reply without client action is a violation")
VIOLATION_FAILS = Check(
    "proxy.faults.violation.fails", ("FAIL-033", "FAIL-053"), "the command concerned fails with INTERNAL"
)
NAMES_ENTITY = Check(
    "proxy.faults.names_entity", ("FAIL-055",), "an INTERNAL failure of an entity names its service and id"
)
VIOLATION_REPORT = Check(
    "proxy.faults.violation.report",
    ("FAIL-032",),
    "reportError (an error) names the entity service, the entity id and the command id",
)
VIOLATION_NOTHING_KEPT = Check(
    "proxy.faults.violation.nothing_kept", ("FAIL-034",), "nothing of the violating message is persisted"
)
VIOLATION_REOPENED = Check(
    "proxy.faults.violation.reopened",
    ("FAIL-035",),
    "the stream is cancelled; the queued and later commands go on a new stream that starts with init",
)
VIOLATION_ISOLATED = Check(
    "proxy.faults.violation.isolated", ("FAIL-036",), "another entity keeps its stream and is answered"
)
HTTP_INTERNAL = Check(
    "proxy.faults.http_internal",
    ("FAIL-054",),
    'an entity\'s INTERNAL failure over HTTP/JSON is 500 {"code": 13, ...} as application/json',
)

# -- replies that are odd but not violations (spec/05-commands.md) --------------------------------------------
PAYLOAD_UNSET = Check(
    "proxy.faults.payload_unset", ("CMD-018",), "a reply without payload is the empty output message, no warning"
)
TYPE_DIFFERS_DELIVERED = Check(
    "proxy.faults.type_differs.delivered", ("CMD-020",), "a reply of another type name is still delivered"
)
TYPE_DIFFERS_REPORTED = Check(
    "proxy.faults.type_differs.reported", ("CMD-021",), "a reply of another type name is reported naming both types"
)

# -- failures (spec/06-failures.md, spec/11-actions.md) -------------------------------------------------------
FAILURE_EXTRAS_DROPPED = Check(
    "proxy.faults.failure_extras.dropped",
    ("FAIL-008",),
    "the events, state action and side effects of a failure reply are neither persisted nor run",
)
FAILURE_EXTRAS_REPORTED = Check(
    "proxy.faults.failure_extras.reported",
    ("FAIL-009",),
    "a failure reply with extras is delivered and reported as a warning naming the entity and the command",
)
CRASH_FAILS = Check(
    "proxy.faults.crash.fails",
    ("FAIL-019", "FAIL-053"),
    "a stream-level failure fails the command and the queued ones with INTERNAL naming the entity and description",
)
CRASH_NOTHING_KEPT = Check(
    "proxy.faults.crash.nothing_kept", ("FAIL-020",), "nothing of an unanswered command is persisted"
)
CRASH_RESTART_IGNORED = Check(
    "proxy.faults.crash.restart_ignored",
    ("FAIL-023",),
    "Failure.restart of a stream-level failure changes nothing: no new stream before the next command",
)
CRASH_ISOLATED = Check("proxy.faults.crash.isolated", ("FAIL-025",), "another entity keeps its stream and is answered")
ACTION_FAILURE_FIELDS = Check(
    "proxy.faults.action_failure_fields",
    ("ACT-019",),
    "an action failure with command_id and restart set is UNKNOWN with its description; the next call works",
)

# -- forwards and side effects (spec/05-commands.md, spec/03-entity-keys.md) -----------------------------------
FORWARD_UNKNOWN = Check(
    "proxy.faults.forward.unknown", ("FX-017",), "a forward to an unknown service or method: INTERNAL, reported"
)
FORWARD_OUTPUT = Check(
    "proxy.faults.forward.output_type",
    ("FX-018",),
    "a forward to another output type: INTERNAL, reported naming both types, target not called",
)
FORWARD_STREAMING = Check(
    "proxy.faults.forward.streaming", ("FX-019",), "a forward to a streaming method: INTERNAL, reported, not called"
)
FORWARD_CHAIN = Check(
    "proxy.faults.forward.chain",
    ("FX-021",),
    "a chain of forwards fails with INTERNAL after 32 forwards, reported naming the chain's services",
)
FORWARD_PAYLOAD_TYPE = Check(
    "proxy.faults.forward.payload_type",
    ("FX-023",),
    "a forward payload of another type name is reported naming both types and read as the target's input",
)
FORWARD_NO_KEY = Check(
    "proxy.faults.forward.no_key", ("KEY-021",), "a forward payload without entity key: INTERNAL, reported"
)
EFFECT_UNKNOWN = Check(
    "proxy.faults.effect.unknown", ("FX-026",), "a side effect to an unknown service or method is skipped, reported"
)
EFFECT_STREAMING = Check(
    "proxy.faults.effect.streaming", ("FX-027",), "a side effect to a streaming method is skipped and reported"
)
EFFECT_PAYLOAD_TYPE = Check(
    "proxy.faults.effect.payload_type",
    ("FX-029",),
    "a side effect payload of another type name is reported naming both types and still run",
)
EFFECT_NO_KEY = Check(
    "proxy.faults.effect.no_key", ("KEY-022",), "a side effect payload without entity key is skipped and reported"
)
EFFECTS_GO_ON = Check(
    "proxy.faults.effect.go_on",
    ("FX-026", "FX-027", "KEY-022"),
    "after skipped side effects the others run and the reply is delivered",
)
