"""The checks of the proxy CRDT suite, with the requirements (binding the proxy) each one covers.

The checks shared with the other entity suites (commands, metadata, side
effects, forwards, passivation) are in :mod:`tck.proxy.checks`; these are
what is particular to CRDT entities (spec 12).
"""

from __future__ import annotations

from tck.checks import Check

# -- the entity stream ---------------------------------------------------------------------------------------
INIT_ONCE = Check("proxy.crdt.init_first", ("CRDT-011", "TRN-022"), "a CRDT stream starts with init, sent exactly once")
INIT_NAMES = Check(
    "proxy.crdt.init_names", ("CRDT-012", "TRN-023"), "init names the service and entity id of the stream's commands"
)
ONE_STREAM = Check(
    "proxy.crdt.one_stream", ("CRDT-010", "TRN-020"), "one open stream per entity and proxy to the user function"
)
INIT_STATE = Check(
    "proxy.crdt.init_state",
    ("CRDT-013", "CRDT-014", "CRDT-015", "CRDT-019", "CRDT-063", "CRDT-001"),
    "init carries the whole state the proxy holds as a delta (the oneof set), or no delta when it has none",
)
INIT_VALUES = Check(
    "proxy.crdt.init_values",
    ("CRDT-GCOUNTER-005", "CRDT-PNCOUNTER-005", "CRDT-GSET-004", "CRDT-ORSET-006", "CRDT-ORMAP-011"),
    "the init delta of each type yields the entity's value when applied to the empty value",
)
COMMAND_IDS = Check(
    "proxy.crdt.command_ids", ("CMD-002", "CMD-003", "KEY-017"), "command ids 1, 2, 3, ... naming the stream's entity"
)
STREAMED_FLAG = Check(
    "proxy.crdt.streamed_flag", ("CMD-005",), "Command.streamed is true exactly for the server-streaming method"
)
# -- taking turns and the known value ------------------------------------------------------------------------
TURNS = Check(
    "proxy.crdt.turns",
    ("CRDT-005", "CMD-012"),
    "no delta or delete while a command or cancellation is outstanding (replies matched by command id)",
)
NO_IDLE_DELTA = Check(
    "proxy.crdt.no_idle_delta",
    ("CRDT-003", "CRDT-006"),
    "every delta the proxy sends changes the user function's known value (it never echoes the function's own)",
)
KNOWN = Check(
    "proxy.crdt.known_value",
    ("CRDT-003", "CRDT-004", "CRDT-006", "CRDT-026", "CRDT-GCOUNTER-003", "CRDT-PNCOUNTER-003", "CRDT-ORSET-004"),
    "before each command the user function holds exactly the value the proxy's replica has",
)
KNOWN_TYPES = Check(
    "proxy.crdt.known_types",
    ("CRDT-LWW-004", "CRDT-ORMAP-007", "CRDT-VOTE-002", "CRDT-VOTE-004", "CRDT-025"),
    "register writes, map changes and votes from the user function are applied as their type's rules say",
)
NOT_DELETED = Check(
    "proxy.crdt.after_delete", ("CRDT-041",), "nothing is sent on a stream after CrdtDelete", advisory=True
)

# -- the client --------------------------------------------------------------------------------------------------
ANSWER = Check(
    "proxy.crdt.answer", ("CMD-017", "CRDT-026"), "the client gets the reply the model predicts from the proxy's state"
)
LOCAL_WRITES = Check(
    "proxy.crdt.local_writes",
    ("CRDT-029", "CRDT-077"),
    "on the only replica, MAJORITY and ALL writes complete with the local write",
)
# -- deletion ----------------------------------------------------------------------------------------------------
DELETE_ENDS = Check(
    "proxy.crdt.delete_ends",
    ("CRDT-033", "CRDT-038"),
    "after a delete in a reply the stream is completed without CrdtDelete",
)
DELETED = Check(
    "proxy.crdt.deleted",
    ("CRDT-034", "CRDT-035", "CRDT-036", "CRDT-042"),
    "later commands for a deleted entity fail with NOT_FOUND without a stream or command",
)
DELETE_CALLS = Check(
    "proxy.crdt.delete_calls", ("CRDT-040",), "a deletion ends the entity's open streamed calls with NOT_FOUND"
)
# -- streamed calls ----------------------------------------------------------------------------------------------
STREAM_OPEN = Check(
    "proxy.crdt.streamed.open",
    ("CRDT-047", "CRDT-048"),
    "a streamed reply keeps the call open, its payload (if any) the first message, after its state action",
)
STREAM_MESSAGES = Check(
    "proxy.crdt.streamed.messages",
    ("CRDT-052", "CRDT-053"),
    "streamed messages reach the client in order; end_stream completes the call with OK",
)
CANCELLED = Check(
    "proxy.crdt.streamed.cancelled",
    ("CRDT-057", "CRDT-060"),
    "a client cancel becomes StreamCancelled (entity id, command id); the response's state action is applied",
)
CANCEL_ONCE = Check(
    "proxy.crdt.streamed.cancel_once", ("CRDT-058",), "no StreamCancelled for a call that has already ended"
)
HTTP_STREAM = Check(
    "proxy.crdt.http_stream",
    ("HTTP-006", "HTTP-043", "HTTP-045", "HTTP-049"),
    "ProcessStreamed over HTTP: newline-delimited JSON, each message as it comes; closing the response cancels",
)
PASSIVATE_OPEN = Check(
    "proxy.crdt.no_passivation_open",
    ("PASS-009",),
    "an entity with an open streamed call is not passivated",
)
# -- replicas ----------------------------------------------------------------------------------------------------
REMOTE_DELTA = Check(
    "proxy.crdt.remote_delta",
    ("CRDT-075", "CRDT-006", "CRDT-001"),
    "a change made through another replica reaches the user function's open stream as CrdtDelta, not as init",
)
CONVERGED = Check(
    "proxy.crdt.converged",
    ("CRDT-075", "CRDT-072", "CRDT-079"),
    "after updates stop, both proxies hold the same value and answer with it",
)
PROMPT = Check(
    "proxy.crdt.replication_prompt", ("CRDT-076",), "another replica's change is merged within a few seconds",
    advisory=True,
)  # fmt: skip
CONSISTENCY = Check(
    "proxy.crdt.consistency",
    ("CRDT-028", "CRDT-073"),
    "a MAJORITY or ALL write is held by the other replica when its reply is released",
)
VOTES = Check(
    "proxy.crdt.votes",
    ("CRDT-VOTE-005", "CRDT-VOTE-007", "CRDT-VOTE-009"),
    "a Vote counts the votes of the replicas that are up, on every replica",
)
REMOTE_DELETE = Check(
    "proxy.crdt.remote_delete",
    ("CRDT-039", "CRDT-034"),
    "a delete through another replica reaches an open stream as CrdtDelete, then the stream completes",
)
DURABLE = Check(
    "proxy.crdt.durable", ("CRDT-074", "CRDT-073"), "acknowledged writes are in init after a restart of the proxy"
)
