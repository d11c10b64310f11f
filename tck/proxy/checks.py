"""The checks of the proxy direction, with the requirements (binding the proxy) each one covers.

They are grouped by what they look at: the client's answer, the calls the proxy
makes to the user function (streams, commands, recovery), side effects and
forwards with their ordering, passivation and restarts, actions, discovery.
"""

from __future__ import annotations

from tck.checks import Check

# -- what the client gets ------------------------------------------------------------------------------------
REPLY = Check("proxy.answer.reply", ("CMD-017",), "a reply reaches a gRPC client as the reply payload")
FAILURE = Check(
    "proxy.answer.failure", ("FAIL-004",), "a client failure ends the call with UNKNOWN and the description"
)
FORWARD_ANSWER = Check("proxy.answer.forward", ("FX-016",), "a forwarded call is answered with the target's answer")
HTTP_REPLY = Check("proxy.http.reply", ("HTTP-036",), "a reply over HTTP/JSON is 200 with the JSON response")
HTTP_FAILURE = Check(
    "proxy.http.failure", ("FAIL-005", "HTTP-053"), 'a failure over HTTP/JSON is 500 {"code":2,"message":...}'
)
HTTP_DEFAULT_ROUTE = Check(
    "proxy.http.default_route", ("HTTP-006", "HTTP-036"), "POST /<service>/<method> reaches a unary method"
)
HTTP_UNKNOWN_PATH = Check("proxy.http.unknown_path", ("HTTP-016",), "an unbound path is 404 with code 12")
UNKNOWN_METHOD = Check("proxy.grpc.unknown_method", ("FAIL-048",), "a call of an unserved method is UNIMPLEMENTED")
MISSING_KEY = Check(
    "proxy.key.missing", ("KEY-015", "KEY-016"), "a request without an entity key is INVALID_ARGUMENT, not relayed"
)
NUL_KEY = Check(
    "proxy.key.nul",
    ("KEY-023",),
    "an entity id with NUL is served under exactly that id, or refused as INVALID_ARGUMENT naming NUL, unrelayed",
    advisory=True,
)

# -- entity streams and commands -----------------------------------------------------------------------------
INIT_FIRST = Check("proxy.stream.init_first", ("TRN-022",), "a stream starts with init, sent exactly once")
INIT_NAMES = Check(
    "proxy.stream.init_names", ("TRN-023", "TRN-021"), "the command goes on a stream whose init names its entity"
)
ONE_STREAM = Check("proxy.stream.one_per_entity", ("TRN-020",), "no two open streams for one entity")
COMMAND_IDS = Check("proxy.command.ids", ("CMD-002", "CMD-003"), "command ids are 1, 2, 3, ... on every stream")
COMMAND_ENTITY = Check("proxy.command.entity_id", ("KEY-017",), "every command names the stream's entity id")
NOT_STREAMED = Check("proxy.command.streamed", ("CMD-005",), "Command.streamed is false for a unary method")
ES_ONE_OUTSTANDING = Check(
    "proxy.es.one_outstanding", ("CMD-008",), "no event-sourced command while another has no reply"
)
VE_ONE_OUTSTANDING = Check("proxy.ve.one_outstanding", ("CMD-009",), "no value-entity command while another waits")
REPLAY_FIRST = Check(
    "proxy.es.replay_position", ("ES-018", "ES-019"), "replayed events come after init and before the first command"
)
NOTHING_AFTER_HALF_CLOSE = Check("proxy.stream.half_closed", ("PASS-013",), "nothing is sent after a half-close")
COMMAND = Check(
    "proxy.command",
    ("CMD-001", "CMD-004", "ANY-004", "ANY-005", "CMD-006"),
    "one command per call, named for the method, the request bytes as payload",
)
HTTP_COMMAND = Check(
    "proxy.http.command", ("ANY-006", "CMD-001", "KEY-014"), "an HTTP/JSON call becomes the same command"
)
METADATA = Check(
    "proxy.metadata.request",
    ("META-006", "META-008", "META-009", "META-011"),
    "request headers arrive in Command.metadata, reserved ones do not",
)
HTTP_METADATA = Check("proxy.http.metadata", ("META-013", "META-006"), "HTTP headers become metadata the same way")

# -- recovery ------------------------------------------------------------------------------------------------
ES_RECOVERY = Check(
    "proxy.es.recovery",
    ("ES-012", "ES-013", "ES-016", "ES-017", "ES-025", "ES-029", "ES-003", "FX-001", "PASS-019"),
    "a new stream gets the latest snapshot and every later event of the journal, as the model journal has them",
)
VE_RECOVERY = Check(
    "proxy.ve.recovery",
    ("VE-008", "VE-009", "VE-021", "VE-022", "VE-024", "VE-002", "FX-001", "PASS-019"),
    "a new stream's init carries the stored value the model predicts, or none",
)
SAME_STREAM = Check(
    "proxy.stream.kept", ("FAIL-006", "TRN-021"), "after a failure without restart the entity keeps its stream"
)
CRASH = Check(
    "proxy.crash.reopen",
    ("FAIL-021", "FAIL-022", "TRN-033", "TRN-032"),
    "after a stream ends early the next command goes on a new stream with init (and replay)",
)

# -- restarts asked for by Failure.restart ---------------------------------------------------------------------
ES_RESTART = Check(
    "proxy.es.restart",
    ("ES-043", "ES-044", "ES-045", "ES-046"),
    "Failure.restart: the failure reaches the client, the stream is half-closed and reopened with replay at once",
)
VE_RESTART = Check(
    "proxy.ve.restart",
    ("VE-027", "VE-028", "VE-029", "VE-030"),
    "Failure.restart: the failure reaches the client, the stream is half-closed and reopened with the stored value",
)

# -- side effects and forwards -------------------------------------------------------------------------------
FORWARD_CALL = Check(
    "proxy.forward.call",
    ("FX-015", "FX-024", "KEY-020", "FX-014"),
    "a forward becomes a call of its target with its payload, before the answer",
)
FORWARD_METADATA = Check(
    "proxy.forward.metadata", ("META-025", "META-027"), "a forward's call carries the forward's metadata only"
)
EFFECT_CALL = Check(
    "proxy.effect.call",
    ("FX-025", "FX-024", "KEY-020"),
    "each side effect becomes exactly one call of its target with its payload",
)
EFFECT_METADATA = Check(
    "proxy.effect.metadata", ("META-026", "META-027"), "a side effect's call carries the side effect's metadata only"
)
SYNC_IN_ORDER = Check(
    "proxy.effect.sync_order", ("FX-005",), "synchronous side effects run one at a time, in the listed order"
)
SYNC_BEFORE_RELEASE = Check(
    "proxy.effect.sync_before_release", ("FX-006",), "no answer or forward before the synchronous side effects ended"
)
ASYNC_NOT_EARLY = Check(
    "proxy.effect.async_after_release", ("FX-007",), "no asynchronous side effect starts before the answer is released"
)
ASYNC_NO_WAIT = Check(
    "proxy.effect.async_no_wait", ("FX-008",), "the answer does not wait for asynchronous side effects"
)
FAILURE_RUNS_NOTHING = Check(
    "proxy.failure.nothing_runs",
    ("FAIL-008", "FAIL-009"),
    "a failure's extra effects and events are neither run nor kept",
)

# -- passivation ---------------------------------------------------------------------------------------------
PASSIVATION = Check(
    "proxy.passivation.happens",
    ("PASS-003", "PASS-012"),
    "an entity idle for its passivation timeout has its stream half-closed",
)
PASSIVATION_NOT_EARLY = Check(
    "proxy.passivation.not_early", ("PASS-007",), "no passivation before the idle timeout has passed"
)
PASSIVATION_PROMPT = Check(
    "proxy.passivation.prompt", ("PASS-008",), "passivation within a second after the idle timeout", advisory=True
)
REACTIVATION = Check(
    "proxy.passivation.reactivation",
    ("PASS-018", "PASS-016"),
    "after passivation the next command succeeds on a new stream: init, then command 1",
)

# -- actions -------------------------------------------------------------------------------------------------
ACTION_CALL = Check(
    "proxy.action.call", ("TRN-029", "ACT-001"), "each client call is one ActionProtocol call of the matching shape"
)
ACTION_COMMAND = Check(
    "proxy.action.command", ("ACT-005", "ANY-004", "ANY-005"), "a unary or streamed-out call sends one full command"
)
ACTION_STREAM_IN = Check(
    "proxy.action.stream_in",
    ("ACT-006", "ACT-007", "ACT-008", "ACT-021", "META-012"),
    "a streamed call announces itself, then relays payloads only, then half-closes",
)
ACTION_REPLY = Check("proxy.action.reply", ("ACT-013", "CMD-017"), "a reply response is the client's message")
ACTION_EMPTY = Check(
    "proxy.action.no_outcome", ("ACT-014",), "a unary answer without outcome is the empty response, status OK"
)
ACTION_STREAM_OUT = Check(
    "proxy.action.stream_out",
    ("ACT-013", "ACT-015", "ACT-024", "ACT-025", "ACT-028", "ACT-030"),
    "a streamed answer has one message per reply or forward, in order, and ends as the responses say",
)
ACTION_FAILURE_EFFECTS = Check(
    "proxy.action.failure_effects", ("ACT-017",), "an action failure's side effects run as for any other outcome"
)
ACTION_AFTER_FAILURE = Check(
    "proxy.action.after_failure", ("ACT-029",), "responses after a streamed failure are ignored (no side effects)"
)
ACTION_METADATA = Check("proxy.action.metadata", ("META-012", "META-008"), "request headers in the first command")

# -- discovery and the public port ---------------------------------------------------------------------------
DISCOVERY_FIRST = Check(
    "proxy.discovery.first", ("TRN-013",), "no entity stream or action call before discovery succeeded"
)
DISCOVERY_ONCE = Check("proxy.discovery.once", ("TRN-038",), "discovery succeeds once per proxy process")
PROXY_INFO_VERSION = Check("proxy.discovery.version", ("DISC-001",), "ProxyInfo says protocol 0.2")
PROXY_INFO_NAMES = Check("proxy.discovery.names", ("DISC-002",), "ProxyInfo names the proxy and its version")
PROXY_INFO_TYPES = Check(
    "proxy.discovery.entity_types",
    ("DISC-003",),
    "supported_entity_types lists known types once each, including all those the user function declared",
)
REPORT_FORMAT = Check(
    "proxy.report.format", ("DISC-053",), "every reportError message starts with 'error: ' or 'warning: '"
)
NO_REPORTS = Check("proxy.report.none", ("DISC-052",), "no reportError while the user function makes no mistake")
EXPOSED_SERVICES = Check(
    "proxy.reflection.services", ("DISC-046",), "the public services are exactly the declared entity services"
)
