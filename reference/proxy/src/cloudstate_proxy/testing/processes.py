"""Programs as subprocesses, for end-to-end tests: a user function, and the proxy itself.

Each runs ``sys.executable`` with its own environment and writes its output to
the parent's stdout and stderr (which pytest captures and shows for a failed
test). A program can be killed (SIGKILL, like a crash), stopped (SIGTERM, a
graceful shutdown) and started again with the same command and ports, which
is how tests restart a user function or a proxy.

The objects are not tied to an event loop: they wrap :class:`subprocess.Popen`,
and the waits that take a while are coroutines that never block the loop, so
a proxy running in the same process keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Self

import aiohttp

from cloudstate_proxy.testing.postgres import free_port


class Program:
    """A subprocess that can be started, killed, stopped and started again."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = [sys.executable, *argv]
        self.env = {**os.environ, **env}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the program (again); it must not be running."""
        assert not self.running, f"{self.argv} is already running"
        self._process = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL)

    async def kill(self) -> int:
        """SIGKILL, as in a crash: the program gets no chance to clean up. Returns the exit status."""
        return await self._signal(signal.SIGKILL, timeout=30)

    async def stop(self, timeout: float = 30) -> int:
        """SIGTERM, and wait for the program to exit (killing it after ``timeout``). Returns the exit status."""
        return await self._signal(signal.SIGTERM, timeout)

    async def _signal(self, signum: signal.Signals, timeout: float) -> int:
        process = self._process
        assert process is not None, "start() first"
        if process.poll() is None:
            process.send_signal(signum)
        try:
            return await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
            raise

    def cleanup(self) -> None:
        """Kill the program if it still runs (for teardown; never raises)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()


class UserFunctionProcess(Program):
    """A user function, ``python -m <module>`` or ``python <script>``, on ``127.0.0.1:<port>`` (HOST and PORT)."""

    def __init__(self, target: str, port: int | None = None, env: Mapping[str, str] | None = None) -> None:
        self.port = port or free_port()
        argv = [target] if target.endswith(".py") else ["-m", target]
        super().__init__(argv, {"HOST": "127.0.0.1", "PORT": str(self.port), **(env or {})})

    async def wait_listening(self, timeout: float = 30) -> None:
        """Until the port takes connections; raises when the program exits or the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.running, f"{self.argv} exited with status {self._process and self._process.returncode}"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nothing listens on port {self.port} after {timeout} s") from None
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return


class ProxyProcess(Program):
    """``python -m cloudstate_proxy`` in front of a user function, on free ports, configured by environment.

    ``settings`` are further environment variables of the proxy (e.g. ``RELAY_TIMEOUT="5s"``).
    """

    def __init__(self, user_function_port: int, store: str = "memory", **settings: str) -> None:
        self.http_port = free_port()
        self.management_port = free_port()
        env = {
            "USER_FUNCTION_HOST": "127.0.0.1",
            "USER_FUNCTION_PORT": str(user_function_port),
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.http_port),
            "MANAGEMENT_PORT": str(self.management_port),
            "METRICS_PORT": str(free_port()),
            "STORE": store,
            "DISCOVERY_BACKOFF_MIN": "50ms",
            "DISCOVERY_BACKOFF_MAX": "500ms",
            **settings,
        }
        super().__init__(["-m", "cloudstate_proxy"], env)

    async def ready(self) -> bool:
        """What ``GET /ready`` says right now (False when the proxy does not answer)."""
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.management_port}/ready") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def wait_ready(self, timeout: float = 60) -> None:
        """Until ``/ready`` answers 200; raises when the proxy exits or the time is up."""
        deadline = time.monotonic() + timeout
        while not await self.ready():
            assert self.running, f"the proxy exited with status {self._process and self._process.returncode}"
            if time.monotonic() > deadline:
                raise TimeoutError(f"the proxy is not ready after {timeout} s")
            await asyncio.sleep(0.05)
