"""Turning what a machine or scenario raised into :class:`~tck.suites.Failure` records.

A :class:`~tck.checks.ConformanceError` names its requirements; Hypothesis
attaches the shrunk program to the exception's notes (``state = ...`` lines)
and, with ``print_blob``, a ``@reproduce_failure(...)`` line that replays the
exact example. Anything else a suite raises is a failure of the run that no
requirement explains: it becomes a Failure without requirement IDs, which the
runner reports as an error of the suite.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence

from tck.checks import ConformanceError
from tck.suites import Failure

_REPRODUCE = re.compile(r"@reproduce_failure\(.*?\)")
# Where Hypothesis's notes stop listing steps and start explaining.
_AFTER_PROGRAM = ("Explanation:", "You can reproduce", "Unreliable test timings", "Falsifying example")


def _notes(error: BaseException) -> list[str]:
    return [str(note) for note in getattr(error, "__notes__", ())]


def program_of(error: BaseException) -> str:
    """The shrunk steps Hypothesis noted on ``error`` (``state = Machine()`` onwards), and how to replay them."""
    lines: list[str] = []
    taking = False
    for note in _notes(error):
        if note.lstrip().startswith("state = "):
            taking = True
        elif taking and note.strip().startswith(_AFTER_PROGRAM):
            taking = False
        if taking:
            lines.append(note)
    for note in _notes(error):
        found = _REPRODUCE.search(note)
        if found:
            lines.append(f"# replay exactly: {found.group(0)}")
    return "\n".join(lines)


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the error itself."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def failures_of(
    error: BaseException, transcript: Sequence[str], seed: int | None, program: str = ""
) -> tuple[Failure, ...]:
    """The failures that ``error`` reports; ``program`` stands in when Hypothesis noted none (a golden scenario)."""
    found = []
    for leaf in leaves(error):
        steps = program_of(leaf) or program_of(error) or program
        if isinstance(leaf, ConformanceError):
            requirements, message = leaf.check.requirements, str(leaf)
        else:
            requirements = ()
            trace = "".join(traceback.format_exception(type(leaf), leaf, leaf.__traceback__, limit=-8))
            message = f"the suite stopped on an unexpected {type(leaf).__name__}: {leaf}\n{trace}"
        found.append(Failure(requirements, message, steps, tuple(transcript), seed))
    return tuple(found)


__all__ = ["failures_of", "leaves", "program_of"]
