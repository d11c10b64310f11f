"""Running the built images in Docker from tests: host networking, loopback ports, bounded waits.

Containers share the host's network (this machine's engine has no bridge), so
every server in them is told to bind 127.0.0.1 on a free port, and tests reach
it there. testcontainers' own port-based waits look up published ports, which
host networking does not have; the waits below poll loopback directly.
"""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from cloudstate_images import Outcome
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

# The reaper (Ryuk) image cannot be pulled here; every container is removed by `running` instead.
testcontainers_config.ryuk_disabled = True

STARTUP_TIMEOUT = 30.0
# Docker's first health check runs one interval after start; the images' 10 s
# would make every test wait. An empty test keeps the image's own command.
FAST_HEALTHCHECK = {"test": [], "interval": 1_000_000_000, "timeout": 5_000_000_000, "retries": 3}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fail_if_exited(container: WaitStrategyTarget) -> None:
    container.reload()
    if container.status in {"exited", "dead"}:
        stdout, stderr = container.get_logs()
        raise RuntimeError(f"the container exited while starting:\n{(stdout + stderr).decode(errors='replace')}")


class LoopbackHttp(WaitStrategy):
    """Ready when GET http://127.0.0.1:PORT/PATH answers 200; gives up at once when the log shows ``fatal``."""

    def __init__(self, port: int, path: str, fatal: str | None = None) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{port}{path}"
        self.fatal = fatal
        self.with_startup_timeout(int(STARTUP_TIMEOUT)).with_poll_interval(0.2)

    def _give_up_if_fatal(self, container: WaitStrategyTarget) -> None:
        if self.fatal is None:
            return
        log = b"".join(container.get_logs()).decode(errors="replace")
        if self.fatal in log:
            raise RuntimeError(f"{self.url} will not become ready; the container logged {self.fatal!r}:\n{log}")

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._startup_timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            _fail_if_exited(container)
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
            except OSError as error:
                last = str(error)
            if last.startswith("HTTP"):  # the server is up but not ready: has it given up?
                self._give_up_if_fatal(container)
            time.sleep(self._poll_interval)
        raise TimeoutError(f"{self.url} did not answer 200 within {self._startup_timeout}s (last: {last})")


class Healthy(WaitStrategy):
    """Ready when Docker reports the container healthy, i.e. the image's own HEALTHCHECK passes."""

    def __init__(self) -> None:
        super().__init__()
        self.with_startup_timeout(int(STARTUP_TIMEOUT)).with_poll_interval(0.2)

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        deadline = time.monotonic() + self._startup_timeout
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            _fail_if_exited(container)
            health = container.get_wrapped_container().attrs["State"].get("Health") or {}
            if health.get("Status") == "healthy":
                return
            time.sleep(self._poll_interval)
        raise TimeoutError(f"not healthy within {self._startup_timeout}s: {health}")


@contextlib.contextmanager
def running(
    image: str, env: Mapping[str, str], wait: WaitStrategy, command: list[str] | None = None
) -> Iterator[DockerContainer]:
    """Start ``image`` on the host network, wait for it, and always remove it afterwards."""
    options: dict[str, Any] = {"network_mode": "host", "healthcheck": FAST_HEALTHCHECK}
    container = DockerContainer(image, env=dict(env), **options).waiting_for(wait)
    if command is not None:
        container.with_command(command)
    try:
        container.start()
        yield container
    finally:
        container.stop()


def user_function_env(port: int) -> dict[str, str]:
    return {"HOST": "127.0.0.1", "PORT": str(port)}


#: The proxy's log line when discovery failed for good (it then stays unready).
PROXY_GAVE_UP = "discovery failed"


def proxy_env(user_function_port: int, http_port: int, management_port: int) -> dict[str, str]:
    return {
        "USER_FUNCTION_HOST": "127.0.0.1",
        "USER_FUNCTION_PORT": str(user_function_port),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "MANAGEMENT_PORT": str(management_port),
        "METRICS_PORT": str(free_port()),
    }


def post_json(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status), bytes(response.read())


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status), bytes(response.read())


def image_tag(built: Mapping[str, Outcome], name: str) -> str:
    """The versioned tag of image ``name``; fails the test with the build's error when it did not build."""
    outcome = built[name]
    if not outcome.image.component.exists():
        pytest.skip(f"the {outcome.image.component.directory.name} component does not exist yet")
    if not outcome.ok:
        pytest.fail(f"image {name} did not build: {outcome.error}")
    return outcome.tags[0]
