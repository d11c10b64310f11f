"""Everything a finished run hands to the report writers (``tck.reporting``)."""

from __future__ import annotations

import dataclasses
import datetime

from tck.results import RequirementResult, SuiteSummary, counts

# Exit statuses of ``python -m tck run``.
EXIT_PASSED = 0
EXIT_FAILED = 1  # an applicable MUST-level requirement failed, or a suite could not finish
EXIT_NOT_RUN = 2  # the run could not start: bad options, a process that never became ready, ...
EXIT_INTERRUPTED = 130


class RunError(RuntimeError):
    """The run cannot go on (a direction this build lacks, an unusable option); the message says why."""


@dataclasses.dataclass(frozen=True)
class SideInfo:
    """One party under test (or serving the test): how it ran and the end of its log."""

    role: str  # "user-function" or "proxy"
    address: str
    command: str | None = None
    log_path: str | None = None
    log_tail: str = ""


@dataclasses.dataclass(frozen=True)
class RunReport:
    name: str
    tck_version: str
    spec_version: str
    profile: str
    seed: int
    started: datetime.datetime
    duration: float
    spec_url: str
    directions: tuple[str, ...]
    requirements: tuple[RequirementResult, ...]
    suites: tuple[SuiteSummary, ...]
    sides: tuple[SideInfo, ...] = ()
    #: ServiceInfo of the user function, field name -> value (support library, runtime, protocol version, ...).
    user_function: dict[str, str] | None = None
    #: ProxyInfo of the proxy as the user function saw it (name, version, protocol version, entity types).
    proxy: dict[str, str] | None = None
    #: Why the run stopped before it could check everything (a process did not start, Ctrl-C, ...).
    error: str | None = None
    interrupted: bool = False

    @property
    def summary(self) -> dict[str, int]:
        found = counts(self.requirements)
        found["total"] = len(self.requirements)
        found["must-failed"] = sum(1 for r in self.requirements if r.fatal)
        return found

    @property
    def exit_status(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.error is not None:
            return EXIT_NOT_RUN
        if any(r.fatal for r in self.requirements) or any(s.status == "error" for s in self.suites):
            return EXIT_FAILED
        return EXIT_PASSED

    @property
    def outcome(self) -> str:
        return {EXIT_PASSED: "passed", EXIT_FAILED: "failed", EXIT_NOT_RUN: "error", EXIT_INTERRUPTED: "interrupted"}[
            self.exit_status
        ]

    def spec_link(self, requirement: RequirementResult) -> str:
        """Where the requirement is in the published spec: ``<spec_url>/<page>.html#<ID>``."""
        page = requirement.requirement.section.partition("#")[0].removesuffix(".md")
        return f"{self.spec_url.rstrip('/')}/{page}.html#{requirement.requirement.id}"


__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_NOT_RUN", "EXIT_PASSED", "RunError", "RunReport", "SideInfo"]
