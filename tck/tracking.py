"""A recorder that also counts examples, for reports and the progress display.

The runner hands one :class:`CountingRecorder` to every suite as the shared
:class:`~tck.checks.Recorder`. Besides what the recorder keeps, it counts the
examples in which each check ran and remembers the suites that ran it, so a
report can say per requirement how many examples exercised it and where. A
Hypothesis example is recognised by its build context, so machines need not
cooperate; work outside Hypothesis (a golden scenario, discovery) marks its
start with :meth:`CountingRecorder.start_example`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import NoReturn

import hypothesis
from hypothesis.control import current_build_context

from tck.checks import Check, Recorder


@dataclasses.dataclass
class CountingRecorder(Recorder):
    #: Check name -> number of examples in which it ran.
    examples: Counter[str] = dataclasses.field(default_factory=Counter)
    #: Check name -> the suites that ran it, in order.
    suites: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: The suite running now; the runner sets it.
    suite: str = ""
    #: Examples started so far, over the whole run.
    example_count: int = 0
    #: Called after every check and every new example (the progress display; it limits its own rate).
    listener: Callable[[], None] | None = None
    _last_example: dict[str, int] = dataclasses.field(default_factory=dict)
    _context: object = None

    def start_example(self) -> None:
        """A new example outside Hypothesis: a golden scenario, discovery."""
        self._context = None
        self.example_count += 1
        self._changed()

    @property
    def check_count(self) -> int:
        return sum(self.passed.values()) + len(self.failed) + len(self.warnings) + len(self.excused)

    def _changed(self) -> None:
        if self.listener is not None:
            self.listener()

    def _seen(self, check: Check) -> None:
        if hypothesis.currently_in_test_context():
            context = current_build_context()
            if context is not self._context:
                self._context = context
                self.example_count += 1
        if self._last_example.get(check.name) != self.example_count:
            self._last_example[check.name] = self.example_count
            self.examples[check.name] += 1
        where = self.suites.setdefault(check.name, [])
        if self.suite and self.suite not in where:
            where.append(self.suite)

    def ok(self, check: Check) -> None:
        self._seen(check)
        super().ok(check)
        self._changed()

    def fail(self, check: Check, detail: str) -> NoReturn:
        self._seen(check)
        super().fail(check, detail)

    def miss(self, check: Check, detail: str) -> None:
        self._seen(check)
        super().miss(check, detail)
        self._changed()
