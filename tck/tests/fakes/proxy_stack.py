"""The processes of a proxy-direction test: the reference SDK's TCK model, the interceptor, a proxy.

The user function and the proxy are subprocesses that the tests can restart
(:class:`Process` is the :class:`~tck.suites.Restartable` of the tests); the
interceptor runs in the test process, between them. The proxy is the
reference proxy, or a deliberately broken variant of it
(``tck.tests.fakes.broken_proxy``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence

from tck.tests.fakes.harness import free_port

# The TCK model's entities (without eventing, which the proxy suites do not check).
TCK_MODEL = """
from cloudstate_sdk.server import serve
from cloudstate_sdk.tck_model import action, crdt, eventsourced, valueentity
serve([*action.entities, *eventsourced.entities, *valueentity.entities, *crdt.entities], service_name="tck-model")
"""


class Process:
    """A subprocess that can be restarted; ``ready`` says when it serves. Its output goes to a temporary file."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], ready: Callable[[], bool], name: str, port: int
    ) -> None:
        self.port = port  # where it serves (the proxy: its public port)
        self.argv = [sys.executable, *argv]
        self.env = {**os.environ, **env}
        self.ready = ready
        self.name = name
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (open for the life of the process, closed by close())
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        self._process = subprocess.Popen(
            self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not come up:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, grace: float = 10) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(grace)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 50) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().decode(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        self.stop()
        self.log.close()


def listening(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        return False

    return ready


def http_ok(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
        return False

    return ready


def user_function() -> Process:
    port = free_port()
    env = {"HOST": "127.0.0.1", "PORT": str(port)}
    return Process(["-c", TCK_MODEL], env, listening(port), "the TCK model user function", port)


def proxy(
    user_function_port: int, store: str = "memory", defect: str | None = None, env: Mapping[str, str] | None = None
) -> Process:
    """The reference proxy (or a broken variant) in front of ``user_function_port``; ``env`` adds settings."""
    http_port, management = free_port(), free_port()
    env = {
        "USER_FUNCTION_HOST": "127.0.0.1",
        "USER_FUNCTION_PORT": str(user_function_port),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "MANAGEMENT_PORT": str(management),
        "METRICS_PORT": str(free_port()),
        "STORE": store,
        "DISCOVERY_BACKOFF_MIN": "50ms",
        "DISCOVERY_BACKOFF_MAX": "500ms",
        "SHUTDOWN_GRACE": "1s",
        "LOG_LEVEL": "warning",
        # Replicas sharing a store see each other within a second (CRDT Vote tallies, MAJORITY and ALL writes).
        "CRDT_HEARTBEAT_INTERVAL": "200ms",
        "CRDT_LIVENESS_WINDOW": "3s",
        **(env or {}),
    }
    argv = ["-m", "tck.tests.fakes.broken_proxy", defect] if defect else ["-m", "cloudstate_proxy"]
    name = f"the proxy{f' with defect {defect}' if defect else ''}"
    return Process(argv, env, http_ok(f"http://127.0.0.1:{management}/ready"), name, http_port)
