"""The bookkeeping of a run in progress: suites run with progress and accounting, sides brought up and down.

The runner (``tck.runner``) decides what to start and which suites to run; a
:class:`Session` runs each suite with the shared counting recorder, turns
what it returns (or raises) into a :class:`~tck.results.SuiteSummary`, skips
the suites that do not apply or were not selected, and brings each side up and
down, keeping the end of its log for the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cloudstate import entity_pb2
from google.protobuf import json_format

from tck import launch
from tck.applicability import Declared, suite_reason
from tck.config import RunConfig, hypothesis_settings
from tck.outcome import SideInfo
from tck.progress import Progress
from tck.results import SuiteSummary
from tck.suites import Direction, RunContext, Suite, SuiteResult
from tck.targets import Side
from tck.tracking import CountingRecorder


def as_dict(message: entity_pb2.ServiceInfo | entity_pb2.ProxyInfo) -> dict[str, str]:
    fields = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return {key: ", ".join(map(str, value)) if isinstance(value, list) else str(value) for key, value in fields.items()}


class Session:
    """One run in progress: the shared recorder, the suites' summaries, the sides that were brought up."""

    def __init__(self, config: RunConfig, progress: Progress) -> None:
        self.config, self.progress = config, progress
        # Without --seed the run draws one, and reports it: every run can be repeated.
        self.seed = config.seed if config.seed is not None else random.randrange(2**32)
        self.settings = hypothesis_settings(config)
        self.recorder = CountingRecorder(excluded=frozenset(config.exclusions))
        self.recorder.listener = self._tick
        self.summaries: list[SuiteSummary] = []
        self.sides: list[SideInfo] = []
        self.declared = Declared()
        self.user_function_info: dict[str, str] | None = None
        self.proxy_info: dict[str, str] | None = None
        self._base = (0, 0)

    def _tick(self) -> None:
        examples, checks = self._base
        self.progress.update(self.recorder.example_count - examples, self.recorder.check_count - checks)

    def log(self, role: str) -> Path:
        log = self.config.report_dir / "logs" / f"tck-{self.config.target_name}-{role}.log"
        log.unlink(missing_ok=True)  # the log of this run only
        return log

    # Suites

    def run_suite(self, name: str, direction: Direction, capability: str, body: Callable[[], SuiteResult]) -> None:
        """Run one suite with progress and accounting; an exception that escapes it becomes its error."""
        rec = self.recorder
        rec.suite, self._base = name, (rec.example_count, rec.check_count)
        self.progress.suite_started(name)
        began = time.monotonic()
        try:
            result = body()
        except KeyboardInterrupt:
            self.summaries.append(SuiteSummary(name, direction, capability, "not-run", reason="interrupted (Ctrl-C)"))
            raise
        except Exception as error:  # a suite must not raise; if one does, the run reports it and goes on
            result = SuiteResult(name, 0, error=f"the suite raised {type(error).__name__}: {error}")
        seconds, checks = time.monotonic() - began, rec.check_count - self._base[1]
        unexplained = [f.message for f in result.failures if not f.requirements]
        reason = result.error or (unexplained[0] if unexplained else None)
        status = "error" if reason else "failed" if result.failures else "passed"
        covered = {rid for n, c in rec.known.items() if name in rec.suites.get(n, ()) for rid in c.requirements}
        self.summaries.append(
            SuiteSummary(
                name,
                direction,
                capability,
                status,
                result.examples,
                checks,
                seconds,
                reason,
                result.failures,
                tuple(sorted(covered)),
            )
        )
        self.progress.suite_finished(name, status, result.examples, checks, seconds)
        rec.suite = ""

    def skip(self, suite: Suite, status: str, reason: str) -> None:
        self.summaries.append(SuiteSummary(suite.name, suite.direction, suite.capability, status, reason=reason))
        self.progress.suite_finished(suite.name, f"{status}: {reason}", 0, 0, 0.0)

    def run_suites(self, suites: list[Suite], context: RunContext, blocked: str | None = None) -> None:
        for suite in suites:
            if self.config.only and suite.name not in self.config.only:
                self.skip(suite, "not-run", "not selected with --only")
            elif blocked is not None:
                self.skip(suite, "error", blocked)
            elif (reason := suite_reason(suite, self.declared)) is not None:
                self.skip(suite, "not-applicable", reason)
            else:
                self.run_suite(suite.name, suite.direction, suite.capability, functools.partial(suite.run, context))

    # Sides

    @contextlib.contextmanager
    def side(self, role: str, launched: launch.Launched, side: Side) -> Iterator[launch.Launched]:
        """Start the side's process if there is one; on leaving, stop it and keep its log's end for the report."""
        process = launched.process
        command = process.command if process is not None else side.describe()
        log = str(process.log_path) if process is not None else None
        index = len(self.sides)  # sides are reported in the order they came up
        self.sides.append(SideInfo(role, launched.endpoint.target, command, log))
        try:
            if process is not None:
                self.progress.message(f"{role}: starting {command}")
                process.start()
            self.progress.message(f"{role}: ready at {launched.endpoint.target}")
            yield launched
        finally:
            if process is not None:
                process.stop()
                self.sides[index] = dataclasses.replace(self.sides[index], log_tail=process.log_tail(50))

    def user_function(self, side: Side, role: str) -> launch.Launched:
        return launch.user_function(side, self.log(role), self.config.ready_timeout, role.replace("-", " "))


__all__ = ["Session", "as_dict"]
