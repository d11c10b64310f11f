"""Protocol violations and stream-level failures forged into an entity's reply (spec/06-failures.md).

Each scenario stores "a" in one entity and "b" in another, then forges the
reply to a command of the first while a second command for it waits in the
proxy's queue. A violation must fail the first command with INTERNAL, be
reported, cancel the stream and send the queued command on a new stream,
which must find "a" (FAIL-030..036); a stream-level failure must fail both
commands (FAIL-019). The other entity keeps its stream throughout.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import grpc
from cloudstate import entity_pb2
from google.protobuf.message import Message

from tck.checks import Check
from tck.proxy import faults_checks as fc
from tck.proxy.client import Answer
from tck.proxy.faults_forge import ES, VE, Faults, Kind, commands, mentions, replies
from tck.proxy.harness import Harness
from tck.wire import eventsourced as es_wire
from tck.wire.common import pack

# Long enough for the second client call to reach the proxy and wait in the entity's queue behind the first:
# after a violation a late arrival changes nothing, but after a crash only a queued command must fail (FAIL-019).
QUEUE = 0.5
Forge = Callable[[Any], Message]


def forge_unknown_id(out: Any) -> Message:
    out.reply.command_id += 98
    return out  # type: ignore[no-any-return]


def forge_snapshot_only(out: Any) -> Message:
    out.reply.ClearField("events")
    out.reply.snapshot.CopyFrom(pack(es_wire.persisted("forged")))
    return out  # type: ignore[no-any-return]


def forge_unset(out: Any) -> Message:
    return type(out)()  # type: ignore[no-any-return]


def forge_update_without_value(out: Any) -> Message:
    out.reply.state_action.update.ClearField("value")  # the update stays set, with no value
    return out  # type: ignore[no-any-return]


def forge_no_client_action(out: Any) -> Message:
    out.reply.ClearField("client_action")
    return out  # type: ignore[no-any-return]


def forge_stream_failure(out: Any) -> Message:
    failure = entity_pb2.Failure(command_id=out.reply.command_id, description="forged crash", restart=True)
    forged: Message = type(out)(failure=failure)
    return forged


@dataclasses.dataclass(frozen=True)
class Forged:
    """What happened to the forged command (first) and to the one queued behind it."""

    first: Answer
    queued: Answer
    stream: int  # the stream the first command went on
    command_id: int
    mark: int


def forge_with_queue(f: Faults, kind: Kind, entity: str, forge: Forge, via: str = "grpc") -> Forged:
    h = f.h
    mark = h.icp.mark()
    gate = h.icp.hold(commands(kind.service, entity))
    h.icp.rewrite(replies(kind.service, entity), forge)
    first = f.start(kind, entity, [kind.change("forged")], via)
    held = gate.wait_held(1, h.bounds.wait)
    queued = f.start(kind, entity, [])
    time.sleep(QUEUE)
    h.icp.drop(gate)
    if held is None:
        h.rec.fail(fc.VIOLATION_FAILS, f"the command for {entity!r} did not reach the user function")
    command = getattr(held[0].message, "command")  # noqa: B009 (either entity protocol)
    return Forged(f.result(first), f.result(queued), held[0].stream, command.id, mark)


def _prepare(f: Faults, kind: Kind) -> tuple[str, str, int]:
    """An entity holding "a" and another holding "b" (with its stream, which must survive)."""
    entity, other = f.entity("v"), f.entity("o")
    mark = f.h.icp.mark()
    for name, value in ((entity, "a"), (other, "b")):
        answer = f.process(kind, name, [kind.change(value)])
        f.h.rec.require(fc.VIOLATION_ISOLATED, f.replied(answer, kind, value), f"setting up {name!r}")
    stream = f.command_stream(kind.service, other, mark)
    assert stream is not None, f"no stream for {other!r}"
    return entity, other, stream.id


def _unaffected(f: Faults, check: Check, kind: Kind, other: str, stream: int) -> None:
    mark = f.h.icp.mark()
    answer = f.process(kind, other, [])
    used = f.command_stream(kind.service, other, mark)
    f.h.rec.require(check, f.replied(answer, kind, "b"), f"the other entity answered {answer.describe()}")
    f.h.rec.expect(check, stream, used.id if used else None, "the other entity's stream")


def violation(check: Check, kind: Kind, forge: Forge, via: str = "grpc") -> Callable[[Harness], None]:
    def scenario(h: Harness) -> None:
        with Faults(h) as f:
            entity, other, other_stream = _prepare(f, kind)
            got = forge_with_queue(f, kind, entity, forge, via)
            internal = got.first.code == grpc.StatusCode.INTERNAL
            h.rec.require(fc.VIOLATION_FAILS, internal, f"the forged command: {got.first.describe()}")
            h.rec.require(fc.NAMES_ENTITY, f.internal_naming(got.first, kind.service, entity), got.first.details)
            if via == "http":
                body = (got.first.http_status, got.first.code, dict(got.first.headers).get("content-type"))
                h.rec.expect(fc.HTTP_INTERNAL, (500, grpc.StatusCode.INTERNAL, "application/json"), body)
            report = f.report(got.mark, kind.service, entity)
            # Either id names the command: the outstanding one, or the one the forged reply claims to answer.
            ids = (got.command_id, got.command_id + 98)
            named = report is not None and any(mentions(report.replace(entity, ""), i) for i in ids)
            named = named and report is not None and report.startswith("error: ")
            h.rec.require(fc.VIOLATION_REPORT, named, f"reported: {report!r}")
            cancelled = f.cancelled(got.stream)
            h.rec.require(check, internal and cancelled, f"INTERNAL: {internal}, stream cancelled: {cancelled}")
            h.rec.require(fc.VIOLATION_REOPENED, cancelled, f"stream #{got.stream} was not cancelled by the proxy")
            reopened = f.command_stream(kind.service, entity, got.mark)
            fresh = reopened is not None and reopened.id != got.stream and f.starts_with_init(reopened)
            fresh = fresh and got.queued.ok
            h.rec.require(
                fc.VIOLATION_REOPENED, fresh, f"the queued command: {got.queued.describe()}, not on a new stream"
            )
            h.rec.require(fc.VIOLATION_NOTHING_KEPT, f.replied(got.queued, kind, "a"), got.queued.describe())
            _unaffected(f, fc.VIOLATION_ISOLATED, kind, other, other_stream)

    return scenario


def stream_failure(h: Harness) -> None:
    """A stream-level Failure, restart set, instead of the reply: both commands fail, nothing kept, no restart."""
    with Faults(h) as f:
        kind = VE
        entity, other, other_stream = _prepare(f, kind)
        got = forge_with_queue(f, kind, entity, forge_stream_failure)
        for answer in (got.first, got.queued):
            named = f.internal_naming(answer, kind.service, entity) and "forged crash" in answer.details
            h.rec.require(fc.CRASH_FAILS, named, answer.describe())
        h.rec.require(fc.CRASH_RESTART_IGNORED, f.cancelled(got.stream), f"stream #{got.stream} was not cancelled")
        time.sleep(QUEUE)  # a proxy that honoured the restart would reopen the stream at once
        reopened = [s.id for s in h.icp.log.streams(key=(kind.service, entity), since=got.mark)]
        h.rec.expect(fc.CRASH_RESTART_IGNORED, [], reopened, "streams opened before the next command")
        h.rec.require(fc.CRASH_NOTHING_KEPT, f.replied(f.process(kind, entity, []), kind, "a"), "read back")
        _unaffected(f, fc.CRASH_ISOLATED, kind, other, other_stream)


SCENARIOS: dict[str, Callable[[Harness], None]] = {
    "unknown_command_id": violation(fc.UNKNOWN_ID, VE, forge_unknown_id),
    "unset_message": violation(fc.UNSET, VE, forge_unset, via="http"),
    "es_unset_message": violation(fc.UNSET, ES, forge_unset),
    "update_without_value": violation(fc.UPDATE_NO_VALUE, VE, forge_update_without_value),
    "no_client_action": violation(fc.NO_CLIENT_ACTION, VE, forge_no_client_action),
    "snapshot_without_events": violation(fc.SNAPSHOT_ONLY, ES, forge_snapshot_only),
    "stream_failure": stream_failure,
}
