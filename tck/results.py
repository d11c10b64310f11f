"""The outcome of a run, per requirement and per suite, as the report writers read it.

:func:`judge` decides each requirement's status from what the checks recorded,
the suites' failures, the exclusion list and applicability:

- ``passed``: every check of it that ran passed;
- ``failed``: a check of it failed (for an advisory check of a SHOULD, the
  failure is reported but does not fail the run);
- ``excluded``: listed in the exclusion file; what the run observed is kept;
- ``not-applicable``: not checked, and the party or capability it concerns is
  not under test (the reason says which);
- ``untested``: it applies, but no check of this TCK exercised it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence

from cloudstate_protocol.requirements import Requirement

from tck.applicability import Declared, requirement_reason
from tck.suites import Direction, Failure
from tck.tracking import CountingRecorder

STATUSES = ("passed", "failed", "excluded", "not-applicable", "untested")
FATAL_LEVELS = ("MUST", "MUST NOT")


@dataclasses.dataclass(frozen=True)
class CheckCoverage:
    name: str
    summary: str
    passed: int
    failed: bool
    advisory: bool
    examples: int
    suites: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class FailureDetail:
    message: str
    suite: str = ""
    program: str = ""
    transcript: tuple[str, ...] = ()
    seed: int | None = None


@dataclasses.dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: str
    #: Why it is not applicable, or the exclusion's reason.
    reason: str | None = None
    #: For an excluded requirement: what this run saw (passed, failed, untested).
    observed: str | None = None
    examples: int = 0
    checks: tuple[CheckCoverage, ...] = ()
    failure: FailureDetail | None = None

    @property
    def fatal(self) -> bool:
        return self.status == "failed" and self.requirement.level in FATAL_LEVELS


@dataclasses.dataclass(frozen=True)
class SuiteSummary:
    name: str
    direction: Direction
    capability: str
    status: str  # passed, failed, error, not-applicable, not-run
    examples: int = 0
    checks: int = 0
    duration: float = 0.0
    reason: str | None = None
    failures: tuple[Failure, ...] = ()
    requirements: tuple[str, ...] = ()


def _coverage(rec: CountingRecorder) -> dict[str, list[CheckCoverage]]:
    by_requirement: dict[str, list[CheckCoverage]] = {}
    for name, check in sorted(rec.known.items()):
        failed = name in rec.failed or name in rec.warnings or name in rec.excused
        coverage = CheckCoverage(
            name,
            check.summary,
            rec.passed[name],
            failed,
            check.advisory,
            rec.examples[name],
            tuple(rec.suites.get(name, ())),
        )
        for rid in check.requirements:
            by_requirement.setdefault(rid, []).append(coverage)
    return by_requirement


def _detail(rid: str, suites: Sequence[SuiteSummary], rec: CountingRecorder) -> FailureDetail | None:
    for suite in suites:
        for failure in suite.failures:
            if rid in failure.requirements:
                return FailureDetail(failure.message, suite.name, failure.program, failure.transcript, failure.seed)
    for name, check in sorted(rec.known.items()):
        if rid in check.requirements:
            for kind, found in (("failed", rec.failed), ("advisory", rec.warnings), ("excused", rec.excused)):
                if name in found:
                    where = ", ".join(rec.suites.get(name, ()))
                    return FailureDetail(f"[{kind}] {name}: {check.summary}\n{found[name]}", where)
    return None


def judge(
    registry: Sequence[Requirement],
    rec: CountingRecorder,
    suites: Sequence[SuiteSummary],
    exclusions: Mapping[str, str],
    directions: frozenset[Direction],
    declared: Declared,
) -> list[RequirementResult]:
    """Every requirement of the registry with its status for this run."""
    recorded = {rid: ("passed" if s == "passed" else "failed") for rid, s in rec.by_requirement().items()}
    coverage = _coverage(rec)
    results = []
    for requirement in registry:
        rid = requirement.id
        checks = tuple(coverage.get(rid, ()))
        examples = max((c.examples for c in checks), default=0)
        observed = recorded.get(rid)
        failure = _detail(rid, suites, rec) if observed == "failed" else None
        reason = None if observed else requirement_reason(requirement, directions, declared)
        if reason is not None:
            status = "not-applicable"
        elif rid in exclusions:
            status, reason = "excluded", exclusions[rid]
        else:
            status = observed or "untested"
        results.append(
            RequirementResult(
                requirement,
                status,
                reason,
                (observed or "untested") if status == "excluded" else None,
                examples,
                checks,
                failure,
            )
        )
    return results


def counts(results: Sequence[RequirementResult]) -> dict[str, int]:
    found = Counter(r.status for r in results)
    return {status: found[status] for status in STATUSES}


__all__ = ["STATUSES", "CheckCoverage", "FailureDetail", "RequirementResult", "SuiteSummary", "counts", "judge"]
