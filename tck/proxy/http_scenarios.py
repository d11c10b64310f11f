"""Fixed exchanges of the ``proxy/http`` suite: the answers spec/13-http.md pins down for the TCK model's routes."""

from __future__ import annotations

import grpc
from cloudstate.tck.model import action_pb2 as model_pb2

from tck.models import action
from tck.proxy import checks
from tck.proxy import http_checks as hc
from tck.proxy.harness import Harness
from tck.proxy.http_calls import (
    ACTION_TWO,
    ENTITY,
    ENTITY_TWO,
    EVENTSOURCED,
    STREAMED_OUT,
    STREAMING_IN,
    UNARY,
    call,
    commands,
    fail,
    reply,
    script,
)
from tck.proxy.http_client import request_h2c, send_large
from tck.proxy.http_streams import cancelled_on_disconnect, expect_stream, first_reply_headers

#: Bigger than the 12 MiB every proxy accepts (TRN-011) and than the reference proxy's default maximum.
LARGE = 16 * 1024 * 1024


def same_port(h: Harness) -> None:
    """One port: a gRPC call and an HTTP/JSON request, each answered in its protocol (HTTP-001, HTTP-002)."""
    grpc_answer = h.client.unary(action.SERVICE, "ProcessUnary", model_pb2.Request(groups=[_group("over gRPC")]))
    answer, _, _ = call(h, "POST", UNARY, hc.dumps(script([reply("over HTTP")])), label="HTTP/JSON on the gRPC port")
    seen = ((grpc_answer.code, grpc_answer.message), (answer.status, answer.json()))
    wanted = ((grpc.StatusCode.OK, model_pb2.Response(message="over gRPC")), (200, {"message": "over HTTP"}))
    h.rec.expect(hc.SAME_PORT, wanted, seen)


def _group(message: str) -> model_pb2.ProcessGroup:
    return model_pb2.ProcessGroup(steps=[model_pb2.ProcessStep(reply=model_pb2.Reply(message=message))])


def h2c(h: Harness) -> None:
    """The same request over HTTP/1.1 and over cleartext HTTP/2 gets the same answer (HTTP-003)."""
    body = hc.dumps(script([reply("h2c")]))
    http1, _, _ = call(h, "POST", UNARY, body, label="over HTTP/1.1")
    http2 = request_h2c(h.client.endpoint, "POST", UNARY, body, timeout=h.bounds.wait)
    h.note(f"proxy -> client (h2c): {http2.describe()}")
    for version, answer in (("HTTP/1.1", http1), ("h2c", http2)):
        media = (answer.header("content-type") or "").split(";")[0]
        h.rec.expect(
            hc.H2C, (200, "application/json", {"message": "h2c"}), (answer.status, media, answer.json()), version
        )


def bindings(h: Harness) -> None:
    """Declared rules and default routes reach their methods (HTTP-005, HTTP-006, HTTP-002 for the gRPC paths)."""
    entity = h.fresh()
    routes = [
        (UNARY, script([reply("declared")]), {"message": "declared"}),
        (ENTITY + entity + "ve", {}, {}),
        (EVENTSOURCED + entity + "es", {}, {}),
        (ACTION_TWO, {"id": "x"}, {}),
        (ENTITY_TWO, {"id": entity + "two"}, {}),
    ]
    for path, body, expected in routes:
        answer, mark, step = call(h, "POST", path, hc.dumps(body), label="a bound route")
        sent = len(commands(h, mark, step))
        h.rec.expect(hc.BINDINGS, (200, expected, 1), (answer.status, answer.json(), sent), f"POST {path}")
    answer, _, _ = call(h, "POST", STREAMED_OUT, hc.dumps(script([reply("s")])), label="streamed-out default route")
    h.rec.expect(hc.BINDINGS, (200, b'{"message":"s"}\n'), (answer.status, answer.body), f"POST {STREAMED_OUT}")


def no_streaming_in(h: Harness) -> None:
    """Methods streaming their requests have no binding: 404 with code 12, and nothing reaches the user function."""
    for path in STREAMING_IN:
        answer, mark, step = call(h, "POST", path, b"{}", label="a client-streaming method over HTTP")
        hc.expect_error(h.rec, hc.NO_STREAMING_IN, answer, 404, 12, f"POST {path}")
        h.rec.expect(hc.NO_STREAMING_IN, [], commands(h, mark, step), "commands sent")


def paths(h: Harness) -> None:
    """Literals match percent-decoded; {id} is one segment (HTTP-009); unbound paths are 404 (HTTP-016)."""
    entity = h.fresh() + "p"
    answer, mark, step = call(h, "POST", "/tck/model/%65ntity/" + entity, b"{}", label="an escaped literal")
    ids = [getattr(c, "entity_id", None) for _, c in commands(h, mark, step)]
    h.rec.expect(hc.PATH_MATCH, (200, [entity]), (answer.status, ids), "/tck/model/%65ntity/{id}")
    for path in (
        ENTITY + entity + "/more",
        "/tck/model/entity",
        "/tck/model/no/such/path",
        "/tck%2Fmodel/action/unary",
    ):
        answer, mark, step = call(h, "POST", path, b"{}", label="a path no binding matches")
        hc.expect_error(h.rec, hc.PATH_MATCH, answer, 404, 12, f"POST {path}")
        h.rec.expect(checks.HTTP_UNKNOWN_PATH, (404, []), (answer.status, commands(h, mark, step)), path)


def method_not_allowed(h: Harness) -> None:
    """A bound path with another HTTP method: 405, Allow: POST, code 12 (HTTP-065)."""
    for method, path in (("GET", UNARY), ("PUT", ENTITY + "x"), ("DELETE", ACTION_TWO), ("PATCH", STREAMED_OUT)):
        answer, _, _ = call(h, method, path, b"", label="a method the path does not accept")
        hc.expect_error(h.rec, hc.NOT_ALLOWED, answer, 405, 12, f"{method} {path}")
        allowed = sorted(m.strip() for m in (answer.header("allow") or "").split(",") if m.strip())
        h.rec.expect(hc.NOT_ALLOWED, ["POST"], allowed, f"the Allow header of {method} {path}")


def too_large(h: Harness) -> None:
    """A body over the maximum message size: 413 with code 8, nothing relayed (HTTP-052)."""
    prefix, suffix = b'{"groups":[{"steps":[{"reply":{"message":"', b'"}}]}]}'
    body = prefix + b"x" * (LARGE - len(prefix) - len(suffix)) + suffix
    mark = h.icp.mark()
    answer = send_large(h.client.endpoint, UNARY, body, h.bounds.wait * 3)
    h.note(f"client -> proxy: POST {UNARY} with a {len(body)}-byte body\nproxy -> client: {answer.describe()}")
    if answer.status == 200:  # this proxy's maximum is larger: nothing to judge
        return
    hc.expect_error(h.rec, hc.TOO_LARGE, answer, 413, 8, "a 16 MiB body")
    relayed = [r for r in h.icp.records(mark) if r.kind == "in"]
    h.rec.expect(hc.TOO_LARGE, 0, len(relayed), "messages sent to the user function")


def streams(h: Harness) -> None:
    """SSE and NDJSON, ending normally, failing at once and failing after a message (HTTP-042 to HTTP-048)."""
    for accept in ("text/event-stream", ""):
        expect_stream(h, [("reply", "a"), ("reply", "")], accept)
        expect_stream(h, [("fail", "at once"), ("reply", "b")], accept)
        expect_stream(h, [("reply", "a"), ("fail", "later"), ("reply", "c")], accept)


def call_errors(h: Harness) -> None:
    """A failure (code 2) and a missing entity key (code 3) are mapped by the table (HTTP-050, HTTP-051)."""
    answer, _, _ = call(h, "POST", UNARY, hc.dumps(script([fail("boom")])), label="a failing action")
    hc.expect_call_error(h.rec, checks.HTTP_FAILURE, answer, 2, "a failure")
    h.rec.expect(checks.HTTP_FAILURE, {"code": 2, "message": "boom", "details": []}, answer.json(), "the error body")
    answer, mark, step = call(h, "POST", ENTITY_TWO, b"{}", label="an entity call without id")
    hc.expect_call_error(h.rec, checks.MISSING_KEY, answer, 3, "no entity key")
    h.rec.expect(checks.MISSING_KEY, [], commands(h, mark, step), "commands sent")


SCENARIOS = {
    "same_port": same_port,
    "h2c": h2c,
    "bindings": bindings,
    "no_streaming_in": no_streaming_in,
    "paths": paths,
    "method_not_allowed": method_not_allowed,
    "too_large": too_large,
    "streams": streams,
    "call_errors": call_errors,
    "cancel": cancelled_on_disconnect,
    "stream_headers": first_reply_headers,
}
