"""What every proxy-direction machine and scenario works with: the run context, the interceptor, the client.

A :class:`Harness` is built once per suite run from the
:class:`~tck.suites.RunContext`. It hands out fresh entity-id prefixes (the
proxy and its store outlive every example, so each example names its own
entities), writes the protocol transcript, and holds the waits' bounds.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import secrets

from google.protobuf import text_format

from tck.checks import Recorder
from tck.proxy.client import Answer, ProxyClient
from tck.proxy.interceptor import Interceptor
from tck.proxy.records import Record, StreamInfo
from tck.suites import RunContext

#: The request header the TCK sends on every call, with a value unique to the step (found again in the metadata).
HEADER = "x-tck-step"
_ARROWS = {"in": "proxy -> uf", "out": "uf -> proxy", "held": "held by the TCK"}


@dataclasses.dataclass(frozen=True)
class Bounds:
    """How long the TCK waits (seconds). Only a non-conforming proxy makes a wait run out."""

    #: For anything that must happen soon (an answer, a side effect, a stream opening).
    wait: float = 10.0
    #: How long a misbehaviour gets to show itself (an answer released while a synchronous effect is held).
    probe: float = 0.05
    #: The most a 100 ms passivation may take before it counts as not happening at all (PASS-003).
    passivation: float = 10.0
    #: The slack the spec recommends after the idle timeout (PASS-008).
    prompt: float = 1.0
    #: How many process restarts the machines of one suite run may make (each takes seconds).
    restarts: int = 3
    #: Stop a suite at its first failure (for quick verdicts; a full run reports every failing scenario).
    fail_fast: bool = False


class Harness:
    def __init__(self, ctx: RunContext, interceptor: Interceptor, client: ProxyClient, bounds: Bounds | None = None):
        self.ctx = ctx
        self.icp = interceptor
        self.client = client
        self.bounds = bounds or Bounds()
        self._token = secrets.token_hex(3)
        self._counter = itertools.count(1)
        self.restarts_left = self.bounds.restarts

    @property
    def rec(self) -> Recorder:
        return self.ctx.recorder

    def fresh(self) -> str:
        """A prefix for entity ids no earlier example used: "<run token><n>~"."""
        return f"{self._token}{next(self._counter)}~"

    def take_restart(self) -> bool:
        """Whether a machine may restart a process now (the suite run's budget allows one more)."""
        if self.restarts_left <= 0:
            return False
        self.restarts_left -= 1
        return True

    def note(self, line: str) -> None:
        self.ctx.transcript.append(line)

    def noted(self, since: int) -> None:
        """Append the interceptor's records since the mark to the transcript."""
        for record in self.icp.records(since):
            self.note(render(record, self.icp.stream(record.stream) if record.stream else None))

    def streams(self, records: list[Record]) -> dict[int, StreamInfo]:
        return {r.stream: self.icp.stream(r.stream) for r in records if r.stream}


def render(record: Record, info: StreamInfo | None) -> str:
    where = f"#{record.stream} {info.protocol} {info.service}/{info.entity_id}" if info else "client"
    what = _ARROWS.get(record.kind, record.kind)
    body = ""
    if record.message is not None:
        body = f" {type(record.message).__name__}{{{text_format.MessageToString(record.message, as_one_line=True)}}}"
    status = f" {record.code.name} {record.details!r}" if record.code is not None else ""
    note = f" ({record.note})" if record.note else ""
    return f"{record.seq:>6} {where}: {what}{body}{status}{note}"


def json_body(body: bytes) -> object:
    """An HTTP body as JSON, or as text when it is not JSON (so that a comparison shows it)."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def answered(answer: Answer) -> str:
    return f"proxy -> client: {answer.describe()}"
