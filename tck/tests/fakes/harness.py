"""Starting the fake TCK-model user function for a test, and the settings of the tests of the tester.

The fake runs in a subprocess so that its asyncio gRPC server never shares an
event loop or a thread with the synchronous TCK; its arguments choose a defect
or the restart behaviour.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from hypothesis import HealthCheck, Phase, settings

from tck.sdk.driver import UserFunction

# Enough programs to reach every rule; derandomized, so that what the tests assert was covered always is.
PASSING = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Catching a defect must not depend on luck either; no shrinking: the first failure is the one reported.
CATCHING = settings(PASSING, max_examples=60, phases=[Phase.generate])


@contextlib.contextmanager
def running(command: list[str], timeout: float = 10) -> Iterator[UserFunction]:
    """Run a user function that prints ``PORT <n>`` when it serves and stops when its stdin closes."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the user function did not start: {line!r}"
        # Generous: a loaded CI machine must not turn a slow answer into a conformance failure.
        uf = UserFunction(f"127.0.0.1:{int(line.split()[1])}", timeout=30)
        assert uf.wait_ready(timeout), "the user function does not accept connections"
        try:
            yield uf
        finally:
            uf.close()
    finally:
        process.stdin.close()
        process.wait(timeout=timeout)
        process.stdout.close()


@contextlib.contextmanager
def serving(command: list[str], port: int, timeout: float = 20) -> Iterator[UserFunction]:
    """Run a user function that serves on ``port`` and stops on SIGTERM (as ``cloudstate_sdk`` programs do).

    Its log goes to a temporary file, not a pipe: an unread pipe fills up and blocks the process.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        uf = UserFunction(f"127.0.0.1:{port}", timeout=30)
        try:
            if not uf.wait_ready(timeout):
                log.seek(0)
                raise AssertionError(f"the user function does not serve: {log.read().decode(errors='replace')[-2000:]}")
            yield uf
        finally:
            uf.close()
            process.terminate()
            process.wait(timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fake_user_function(*args: str) -> contextlib.AbstractContextManager[UserFunction]:
    """The fake with the given arguments (``--defect NAME``, ``--restart``)."""
    return running([sys.executable, "-m", "tck.tests.fakes.fake_server", *args])


def reference_sdk() -> contextlib.AbstractContextManager[UserFunction]:
    """The reference SDK's TCK model process (reference/sdk), on a free port."""
    port = free_port()
    return serving([sys.executable, "-m", "cloudstate_sdk.tck_model", "--port", str(port)], port)
