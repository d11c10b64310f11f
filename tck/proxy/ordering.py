"""Side effects and forwards of one client call: that each runs once, with its payload, in the spec's order.

:func:`settle` makes the call while the interceptor holds the predicted side
effects back, which turns the ordering rules (spec 05: synchronous effects one
at a time before the answer, asynchronous ones after it, the answer never
waiting for them) into facts the TCK can observe without relying on timing:

- while the first synchronous effect is held, the answer must not arrive and no
  asynchronous effect may start (FX-006, FX-007);
- the next synchronous effect may only start after the previous one completed
  (FX-005), which the records order exactly;
- while every asynchronous effect is held, the answer must still arrive (FX-008).

:func:`check_calls` then waits for every predicted call and checks where it
went, what it carried, and that none ran twice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cloudstate import entity_pb2
from google.protobuf import descriptor_pool

from tck.checks import Check
from tck.models.effects import Call, SideEffect
from tck.proxy import checks
from tck.proxy.calls import call_of, command_of, matching, metadata_of, observed
from tck.proxy.client import Answer, Pending
from tck.proxy.harness import Harness
from tck.proxy.records import ENDINGS, Record
from tck.proxy.relay import Gate
from tck.wire.common import TYPE_URL_PREFIX


@dataclasses.dataclass(frozen=True)
class Settled:
    answer: Answer
    release: Record  # the marker of the moment the answer reached the TCK
    mark: int  # where the call's records start


def settle(h: Harness, start: Callable[[], Pending], effects: Sequence[SideEffect], label: str) -> Settled:
    sync = [e.call for e in effects if e.synchronous]
    later = [e.call for e in effects if not e.synchronous]
    mark = h.icp.mark()
    sync_gate = h.icp.hold(matching(sync)) if sync else None
    async_gate = h.icp.hold(matching(later)) if later else None
    released: list[Record] = []
    try:
        pending = start()
        pending.on_done(lambda: released.append(h.icp.released(label)))
        if sync_gate is not None:
            _one_by_one(h, sync, sync_gate, async_gate, pending)
        answer = pending.result(h.bounds.wait)
        if async_gate is not None:
            h.rec.require(
                checks.ASYNC_NO_WAIT,
                pending.done(),
                f"{label}: no answer within {h.bounds.wait} s while its asynchronous side effects were held",
            )
    finally:
        for gate in (sync_gate, async_gate):
            if gate is not None:
                h.icp.drop(gate)
    release = h.icp.wait(lambda: released[0] if released else None, h.bounds.wait)
    assert release is not None, "the answer's completion callback did not run"
    return Settled(answer, release, mark)


def _one_by_one(h: Harness, sync: list[Call], gate: Gate, async_gate: Gate | None, pending: Pending) -> None:
    """Let the synchronous effects through one at a time, checking at each what may not have happened yet."""
    for index, call in enumerate(sync):
        held = _held_or_failed(h, gate, index + 1, pending)
        if held is _FAILED:
            # The call failed before this effect started (it raced with a crash the TCK caused, say): whether
            # that failure was allowed is for the caller to judge, with the answer, not a missing effect.
            return
        if held is None:
            arrived = [call_of(h.icp.stream(r.stream), r.message) for r in gate.held]
            h.rec.fail(checks.EFFECT_CALL, f"synchronous side effect {call} never started; started: {arrived}")
        record = held[index]
        h.rec.expect(checks.SYNC_IN_ORDER, call, call_of(h.icp.stream(record.stream), record.message), "started")
        if index == 0:
            h.icp.wait(lambda: True if pending.done() else None, h.bounds.probe)
        else:
            previous = held[index - 1]
            done = _completion(h, previous)
            h.rec.require(
                checks.SYNC_IN_ORDER,
                done is not None and done.seq < record.seq,
                f"{call} started before {sync[index - 1]} completed",
            )
        h.rec.require(
            checks.SYNC_BEFORE_RELEASE,
            not pending.done(),
            f"the answer reached the client while synchronous side effect {call} was held",
        )
        early = [call_of(h.icp.stream(r.stream), r.message) for r in async_gate.held] if async_gate else []
        h.rec.require(
            checks.ASYNC_NOT_EARLY, not early, f"asynchronous side effects {early} started while {call} was held"
        )
        gate.release(index)


_FAILED: list[Record] = []  # told apart by identity


def _held_or_failed(h: Harness, gate: Gate, count: int, pending: Pending) -> list[Record] | None:
    """The first ``count`` held messages once they arrived; _FAILED if the call failed first; None after the wait."""

    def found() -> list[Record] | None:
        held = list(gate.held[:count])
        if len(held) >= count:
            return held
        return _FAILED if pending.done() and not pending.result(0).ok else None

    return h.icp.wait(found, h.bounds.wait)


def _completion(h: Harness, started: Record) -> Record | None:
    """The answer (or the end) of the call whose first in message is ``started``, if it came."""
    info = h.icp.stream(started.stream)
    command = command_of(started.message)
    for record in h.icp.messages(started.stream):
        if record.seq <= started.seq or record.kind not in ("out", *ENDINGS):
            continue
        if record.kind in ENDINGS or info.protocol == "action" or command is None:
            return record
        out: Any = record.message
        if out.WhichOneof("message") == "failure" or out.reply.command_id == command.id:
            return record
    return None


def check_calls(
    h: Harness,
    settled: Settled,
    effects: Sequence[SideEffect],
    forwards: Sequence[Call],
    sent: Mapping[Call, entity_pb2.Metadata] | None = None,
    effect_check: Check = checks.EFFECT_CALL,
) -> dict[Call, Record]:
    """Every predicted call happened once, to its target, with its payload and metadata; forwards before the answer.

    ``sent`` is the metadata the user function put on each forward and side effect (empty when not given).
    """
    expected = Counter(e.call for e in effects) + Counter(forwards)
    later = {e.call for e in effects if not e.synchronous}  # the only calls that may still be on their way

    def all_seen() -> bool | None:
        records = h.icp.records(settled.mark)
        return True if set(observed(records, h.streams(records), later)) == later else None

    if later:
        h.icp.wait(all_seen, h.bounds.wait)
    records = h.icp.records(settled.mark)
    streams = h.streams(records)
    seen = observed(records, streams, set(expected))
    for call in sorted(expected, key=lambda c: c not in forwards):
        check = checks.FORWARD_CALL if call in forwards else effect_check
        if call not in seen:
            h.rec.fail(check, f"{call} never reached the user function")
        record = seen[call]
        count = sum(1 for r in records if r.kind == "in" and call_of(streams[r.stream], r.message) == call)
        h.rec.expect(check, expected[call], count, f"how many times {call} was called")
        _check_target(h, check, call, record)
        meta_check = checks.FORWARD_METADATA if call in forwards else checks.EFFECT_METADATA
        h.rec.expect(meta_check, (sent or {}).get(call, entity_pb2.Metadata()), metadata_of(record.message), str(call))
    for forward in forwards:
        h.rec.require(
            checks.FORWARD_CALL, seen[forward].seq < settled.release.seq, f"the answer came before {forward} started"
        )
    for effect in effects:
        if effect.synchronous:
            done = _completion(h, seen[effect.call])
            h.rec.require(
                checks.SYNC_BEFORE_RELEASE,
                done is not None and done.seq < settled.release.seq,
                f"the answer came before synchronous side effect {effect.call} completed",
            )
    return seen


def _check_target(h: Harness, check: Check, call: Call, record: Record) -> None:
    """The call went to the service and method, with the entity id of its payload and the input type's URL."""
    info = h.icp.stream(record.stream)
    method = descriptor_pool.Default().FindServiceByName(call.service).methods_by_name[call.method]
    type_url = TYPE_URL_PREFIX + method.input_type.full_name
    command: Any = command_of(record.message) or record.message
    where = (info.service, info.entity_id if info.protocol != "action" else call.id, command.payload.type_url)
    h.rec.expect(check, (call.service, call.id, type_url), where, f"{call}: (service, entity id, payload type)")
