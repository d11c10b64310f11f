"""Checks, the requirement IDs they cover, and a recorder of their results.

Every comparison a machine or scenario makes goes through a named :class:`Check`
that lists the requirements (e.g. ES-032) it covers. A failing check raises
:class:`ConformanceError`, whose message starts with those IDs, so a failure
names the requirement it breaks; passing checks are counted per requirement by
a :class:`Recorder` (and reported to Hypothesis with ``event``) so that a report
can say passed/failed per requirement.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from typing import NoReturn, TypeVar

import hypothesis
from google.protobuf import text_format
from google.protobuf.message import Message

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Check:
    """One kind of comparison, named, with the requirement IDs it covers."""

    name: str
    requirements: tuple[str, ...]
    summary: str
    #: Covers only SHOULD-level requirements: a failure is recorded as a warning and does not raise.
    advisory: bool = False

    def __post_init__(self) -> None:
        if not self.requirements:
            raise ValueError(f"check {self.name} covers no requirement")


class ConformanceError(AssertionError):
    """An implementation did something the models and the spec rule out."""

    def __init__(self, check: Check, detail: str) -> None:
        self.check = check
        self.detail = detail
        super().__init__(f"[{', '.join(check.requirements)}] {check.name}: {check.summary}\n{detail}")


def render(value: object) -> str:
    """A compact, readable rendering of messages, lists of messages and plain values."""
    if isinstance(value, Message):
        text = text_format.MessageToString(value, as_one_line=True)
        return f"{type(value).__name__}{{{text}}}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return repr(value)


@dataclasses.dataclass
class Recorder:
    """Collects which checks passed and which failed, across machines and scenarios."""

    passed: Counter[str] = dataclasses.field(default_factory=Counter)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)
    warnings: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Requirements known to fail for this target (a reviewed exclusion list): their failures do not raise.
    excluded: frozenset[str] = frozenset()
    excused: dict[str, str] = dataclasses.field(default_factory=dict)
    known: dict[str, Check] = dataclasses.field(default_factory=dict)

    def ok(self, check: Check) -> None:
        self.known[check.name] = check
        self.passed[check.name] += 1
        if hypothesis.currently_in_test_context():
            hypothesis.event("check", check.name)

    def fail(self, check: Check, detail: str) -> NoReturn:
        self.known[check.name] = check
        self.failed.setdefault(check.name, detail)
        raise ConformanceError(check, detail)

    def miss(self, check: Check, detail: str) -> None:
        """A failed check: a warning when it is advisory or all its requirements are excluded, else :meth:`fail`."""
        if not check.advisory and not set(check.requirements) <= self.excluded:
            self.fail(check, detail)
        self.known[check.name] = check
        (self.warnings if check.advisory else self.excused).setdefault(check.name, detail)
        if hypothesis.currently_in_test_context():
            hypothesis.event("warning", check.name)

    def expect(self, check: Check, expected: T, observed: T, what: str = "", show: Callable[[T], str] = render) -> None:
        """Pass when ``observed == expected``, else fail showing both."""
        if observed == expected:
            self.ok(check)
            return
        prefix = f"{what}: " if what else ""
        self.miss(check, f"{prefix}expected {show(expected)}\n{' ' * len(prefix)}observed {show(observed)}")

    def require(self, check: Check, condition: bool, detail: str) -> None:
        """Pass when ``condition`` holds, else fail with ``detail``."""
        if condition:
            self.ok(check)
        else:
            self.miss(check, detail)

    def by_requirement(self) -> dict[str, str]:
        """Each requirement touched so far: the worst result of its checks (failed, excluded, warning, passed)."""
        rank = {"passed": 0, "warning": 1, "excluded": 2, "failed": 3}
        status: dict[str, str] = {}
        for name, check in self.known.items():
            result = "passed"
            for outcome, names in (("failed", self.failed), ("excluded", self.excused), ("warning", self.warnings)):
                if name in names:
                    result = outcome
                    break
            for rid in check.requirements:
                if rank[result] >= rank[status.get(rid, "passed")]:
                    status[rid] = result
        return dict(sorted(status.items()))


def requirement_ids(checks: Iterable[Check]) -> set[str]:
    return {rid for check in checks for rid in check.requirements}
