"""The progress display of a run: one line per suite with running counts of examples and checks.

On a terminal the current suite's line is redrawn in place (at most ten times a
second); otherwise (CI logs, pipes) each suite gets one plain line when it
starts and one when it ends, so that logs stay readable.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Receives the runner's events; the base class shows nothing (tests, ``--quiet``)."""

    def message(self, text: str) -> None:
        """A line about the run itself: processes started, discovery, the report written."""

    def suite_started(self, name: str) -> None: ...

    def update(self, examples: int, checks: int) -> None:
        """Counts so far for the running suite."""

    def suite_finished(self, name: str, status: str, examples: int, checks: int, seconds: float) -> None: ...


class StreamProgress(Progress):
    """Progress written to a text stream (standard error by default in the CLI)."""

    def __init__(self, stream: TextIO, interactive: bool | None = None) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self._suite = ""
        self._drawn = 0.0

    def _line(self, text: str) -> None:
        self.stream.write(("\r\x1b[2K" if self.interactive else "") + text + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        self._line(text)

    def suite_started(self, name: str) -> None:
        self._suite = name
        if self.interactive:
            self.update(0, 0)
        else:
            self._line(f"{name}: running")

    def update(self, examples: int, checks: int) -> None:
        now = time.monotonic()
        if not self.interactive or now - self._drawn < 0.1:
            return
        self._drawn = now
        self.stream.write(f"\r\x1b[2K{self._suite}: {examples} examples, {checks} checks")
        self.stream.flush()

    def suite_finished(self, name: str, status: str, examples: int, checks: int, seconds: float) -> None:
        self._line(f"{name}: {status} ({examples} examples, {checks} checks, {seconds:.1f} s)")


__all__ = ["Progress", "StreamProgress"]
