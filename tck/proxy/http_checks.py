"""The checks of the ``proxy/http`` suite (spec/13-http.md), and the shape every HTTP/JSON error answer must have."""

from __future__ import annotations

import json
import re

from tck.checks import Check, Recorder
from tck.proxy.http_client import Reply

SAME_PORT = Check(
    "proxy.http.same_port",
    ("HTTP-001", "HTTP-002"),
    "gRPC and HTTP/JSON on one port, told apart by Content-Type: each is answered in its own protocol",
)
H2C = Check("proxy.http.h2c", ("HTTP-003",), "HTTP/JSON is served over HTTP/1.1 and over cleartext HTTP/2 alike")
BINDINGS = Check(
    "proxy.http.bindings",
    ("HTTP-005", "HTTP-006", "HTTP-036"),
    "each declared rule and each default POST /<service>/<method> reaches its method",
)
NO_STREAMING_IN = Check(
    "proxy.http.no_streaming_in",
    ("HTTP-007", "HTTP-016"),
    "client- and bidirectional-streaming methods have no HTTP binding: 404, code 12, nothing relayed",
)
PATH_MATCH = Check(
    "proxy.http.path_match",
    ("HTTP-009", "HTTP-016"),
    "paths are split at / before percent-decoding; a literal matches its decoded form; {id} takes one segment",
)
PATH_DECODE = Check(
    "proxy.http.path_decode",
    ("HTTP-011", "HTTP-013", "KEY-014"),
    "a single-segment {id} is fully percent-decoded (%2F too) into the id field: the command's entity id",
)
BODY_STAR = Check(
    "proxy.http.body_star",
    ("HTTP-017", "ANY-006"),
    "with body * the JSON body is the input message, and the path variable overrides its field",
)
QUERY_IGNORED = Check("proxy.http.query_ignored", ("HTTP-018",), "with body * the query string is ignored")
EMPTY_BODY = Check("proxy.http.empty_body", ("HTTP-021",), "an empty body is the message {}")
JSON_NULL = Check("proxy.http.json_null", ("HTTP-029",), "a null member is the field's default value")
BAD_JSON = Check(
    "proxy.http.bad_json",
    ("HTTP-030", "FAIL-047"),
    "invalid JSON, an unknown field or a value of the wrong type: 400 with code 3, nothing relayed",
)
RENDERING = Check(
    "proxy.http.rendering",
    ("HTTP-034", "HTTP-035", "HTTP-036"),
    "200, application/json, defaults omitted, one line without insignificant whitespace",
)
CONTENT_TYPE = Check(
    "proxy.http.content_type",
    ("HTTP-040",),
    "a non-empty body that is not application/json in UTF-8 is 415 with code 3; application/json in utf-8 is served",
)
ACCEPT = Check("proxy.http.accept", ("HTTP-041",), "Accept does not change a unary answer, and is never answered 406")
SSE = Check(
    "proxy.http.sse",
    ("HTTP-042",),
    "Accept listing text/event-stream: one 'data: <json>' event per message, content type text/event-stream",
)
NDJSON = Check(
    "proxy.http.ndjson", ("HTTP-043",), "otherwise: application/json, each message's JSON followed by one newline"
)
STREAM_FAILS_FIRST = Check(
    "proxy.http.stream_fails_first", ("HTTP-046",), "a stream failing before its first message is a plain error answer"
)
SSE_ERROR = Check("proxy.http.sse_error", ("HTTP-047",), "a failed SSE stream ends with 'event: error' and the error")
NDJSON_ERROR = Check("proxy.http.ndjson_error", ("HTTP-048",), 'a failed NDJSON stream ends with {"error":...}')
STREAM_HEADERS = Check(
    "proxy.http.stream_headers", ("HTTP-054",), "a stream's headers are the first reply's metadata, not a later one's"
)
CANCEL = Check(
    "proxy.http.cancel", ("HTTP-049",), "a client closing a streaming response cancels the user function's call"
)
ERROR_BODY = Check(
    "proxy.http.error_body",
    ("HTTP-050",),
    "an error answer is application/json {code: number, message: string, details: array}",
)
STATUS_MAP = Check(
    "proxy.http.status_map", ("HTTP-051",), "the HTTP status of a failed call is the table's for its code"
)
TOO_LARGE = Check(
    "proxy.http.too_large",
    ("HTTP-052", "FAIL-049"),
    "a body over the maximum message size is 413 with code 8, nothing relayed",
)
NOT_ALLOWED = Check(
    "proxy.http.method_not_allowed",
    ("HTTP-065",),
    "a bound path with another HTTP method: 405, Allow listing the path's methods, code 12",
)

#: The gRPC-to-HTTP status table of spec/13-http.md, "Errors".
HTTP_STATUS = {1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501}
HTTP_STATUS |= {13: 500, 14: 503, 15: 500, 16: 401}
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')


def compact(body: bytes) -> bool:
    """Whether a JSON text has no whitespace outside its strings (HTTP-035)."""
    return not re.search(rb"\s", _STRINGS.sub(b'""', body))


def error_object(rec: Recorder, reply: Reply, what: str) -> int | None:
    """Check an error answer's shape (HTTP-050); its code, or None when it has no numeric code."""
    problem = reply.json()
    shape = (
        isinstance(problem, dict)
        and set(problem) == {"code", "message", "details"}
        and type(problem["code"]) is int
        and isinstance(problem["message"], str)
        and isinstance(problem["details"], list)
    )
    media = (reply.header("content-type") or "").split(";")[0].strip().lower()
    detail = f"{what}: {reply.describe()}"
    rec.require(ERROR_BODY, shape and media == "application/json", detail)
    return int(problem["code"]) if shape and isinstance(problem, dict) else None


def expect_error(rec: Recorder, check: Check, reply: Reply, status: int, code: int, what: str) -> None:
    """An HTTP-layer or call error: its shape, then (status, code) as ``check`` wants them."""
    got = error_object(rec, reply, what) if reply.status >= 400 else None
    rec.expect(check, (status, code), (reply.status, got), what)


def expect_call_error(rec: Recorder, check: Check, reply: Reply, code: int, what: str) -> None:
    """A failed call: the shape, the table's HTTP status for its code (HTTP-051), and ``check``'s code."""
    expect_error(rec, check, reply, HTTP_STATUS[code], code, what)
    rec.expect(STATUS_MAP, HTTP_STATUS[code], reply.status, f"{what} (code {code})")


def dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
