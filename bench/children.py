"""The servers under test, each a child process of the harness: start, wait until ready, peak memory, stop.

Every child writes its output to a log file of its own (results/logs/), which
is the first place to look when a server does not come up.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 60.0


class ChildFailed(RuntimeError):
    """A server exited early or never became ready."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def answers_ready(port: int) -> bool:
    """The proxy's management endpoint says it serves (discovery done, store healthy, port open)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Child:
    """One server process, started from Python (``sys.executable``) with ``args``."""

    def __init__(self, name: str, args: list[str], logs: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
            )

    def wait_until(self, ready: Callable[[], bool], timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise ChildFailed(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise ChildFailed(f"{self.name} not ready after {timeout:.0f} s; see {self.log}")
            time.sleep(0.05)

    def peak_rss_mib(self) -> float:
        """The process's high-water mark of resident memory (Linux ``VmHWM``), in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # reported in kB
        raise ChildFailed(f"no VmHWM for {self.name} (pid {self.process.pid})")

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``grace`` seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def script(name: str) -> str:
    """Path of a script in this folder, for running it as a child."""
    return str(HERE / name)
