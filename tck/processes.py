"""Processes the runner starts: the user function and the proxy under test.

A :class:`ManagedProcess` runs a command line through ``/bin/sh`` in its own
process group (so that a shell and everything it starts are stopped together),
writes all its output to a log file (never to a pipe nobody reads, which would
block it once full) and waits until a readiness probe succeeds. Waiting is
bounded; when the process exits early or never becomes ready the error names
it and shows the last lines of its log. :meth:`ManagedProcess.stop` ends the
whole group: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

#: How long a process may take to become ready, and to stop after SIGTERM.
READY_TIMEOUT = 30.0
STOP_GRACE = 5.0
_POLL = 0.1


class ProcessError(RuntimeError):
    """A process did not start or did not become ready; the message names it and shows its log's end."""


def free_port() -> int:
    """A port that is free now on 127.0.0.1 (another process may take it before it is used)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ManagedProcess:
    """One started command (a :class:`~tck.suites.Restartable`): start, wait until ready, stop, restart."""

    def __init__(
        self,
        role: str,
        command: str,
        env: Mapping[str, str],
        log_path: Path,
        ready: Callable[[], bool],
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.role, self.command, self.env, self.log_path = role, command, dict(env), log_path
        self.ready, self.ready_timeout = ready, ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the command and return once it is ready; on failure it is stopped and ProcessError raised."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log.write(f"--- tck: starting {self.role}: {self.command}\n".encode())
        self._log.flush()
        try:
            self._process = subprocess.Popen(
                ["/bin/sh", "-c", _script(self.command)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        except OSError as error:
            self.stop()
            raise ProcessError(f"the {self.role} ({self.command}) could not be started: {error}") from error
        self._await_ready()

    def _await_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            status = self._process.poll()
            if status is not None:
                self.stop()
                raise ProcessError(self._explain(f"exited with status {status} before it became ready"))
            if self.ready():
                return
            time.sleep(_POLL)
        self.stop()
        raise ProcessError(self._explain(f"did not become ready within {self.ready_timeout:g} s"))

    def _explain(self, what: str) -> str:
        tail = self.log_tail(20).rstrip() or "(no output)"
        return f"the {self.role} ({self.command}) {what}; its log {self.log_path} ends with:\n{tail}"

    def stop(self) -> None:
        """Stop the process group (SIGTERM, SIGKILL after the grace period); safe to call more than once."""
        process, self._process = self._process, None
        if process is not None:
            deadline = time.monotonic() + STOP_GRACE
            _signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE)
            # Whatever the command started in its group gets the rest of the grace period, then SIGKILL.
            while _group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(_POLL)
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 50) -> str:
        """The last ``lines`` lines of the log (from its last 64 KiB)."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 65536))
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# A simple command (no list, pipeline or compound, no leading assignment) can replace the shell: then the process
# the runner waits for is the command itself, not a shell whose children would outlive it as orphans.
_NOT_SIMPLE = re.compile(r"[;&|\n(){}]|^\s*[A-Za-z_][A-Za-z0-9_]*=")


def _script(command: str) -> str:
    return command if _NOT_SIMPLE.search(command) else f"exec {command}"


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies, which only wait for their parent to reap them, do not)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return _signal_group(pgid, 0)
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                state, _, group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(group) == pgid and state != "Z":
                return True
    return False


def _signal_group(pid: int, sig: int) -> bool:
    """Signal the process group led by ``pid`` (0 only asks whether it still exists); False when it is gone."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


__all__ = ["ManagedProcess", "ProcessError", "accepts", "free_port"]
