"""Bringing up one side of the target: start its command on free ports, or wait for the address given.

A user function is ready when it accepts a gRPC connection; a proxy when its
public port accepts connections and, if it has a management port, that port
answers ``/ready`` with 200 (the reference proxy's readiness: discovery done).
Both waits are bounded and fail with :class:`~tck.processes.ProcessError`.
"""

from __future__ import annotations

import dataclasses
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tck.containers import ManagedContainer
from tck.processes import ManagedProcess, ProcessError, accepts, free_port
from tck.sdk.driver import UserFunction
from tck.suites import Endpoint
from tck.targets import LOCALHOST, Side, proxy_env, substitute, user_function_env

# A proxy without a management port on the port we gave it is taken as ready this long after its public port opened.
_NO_MANAGEMENT_GRACE = 3.0


@dataclasses.dataclass
class Launched:
    """A side that is up: its address and, when the runner started it, the process."""

    endpoint: Endpoint
    process: ManagedProcess | ManagedContainer | None = None


def grpc_ready(endpoint: Endpoint) -> bool:
    if not accepts(endpoint.host, endpoint.port):
        return False
    probe = UserFunction(endpoint.target, timeout=1.0)
    try:
        return probe.wait_ready(1.0)
    finally:
        probe.close()


def http_ready(port: int, path: str = "/ready") -> bool | None:
    """True on 200, False on another answer, None when nothing listens on the port."""
    try:
        with urllib.request.urlopen(f"http://{LOCALHOST}:{port}{path}", timeout=1.0) as answer:
            return bool(answer.status == 200)
    except urllib.error.HTTPError:
        return False
    except OSError:
        return None


def proxy_ready(endpoint: Endpoint, management_port: int | None) -> Callable[[], bool]:
    opened: float | None = None

    def ready() -> bool:
        nonlocal opened
        if not accepts(endpoint.host, endpoint.port):
            return False
        opened = opened or time.monotonic()
        if management_port is None:
            return True
        answer = http_ready(management_port)
        if answer is None:
            return time.monotonic() - opened > _NO_MANAGEMENT_GRACE
        return answer

    return ready


def _await(what: str, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise ProcessError(f"{what} does not answer within {timeout:g} s")
        time.sleep(0.1)


def user_function(side: Side, log: Path, timeout: float, role: str = "user function") -> Launched:
    """Start the user function on a free port (PORT, HOST, ``{port}``), or wait for the given address."""
    if side.endpoint is not None:
        endpoint = side.endpoint
        _await(f"the {role} at {endpoint.target}", lambda: grpc_ready(endpoint), timeout)
        return Launched(endpoint)
    port = free_port()
    endpoint = Endpoint(LOCALHOST, port)
    env = {**user_function_env(port), **dict(side.env)}
    return Launched(endpoint, _managed(side, role, env, log, lambda: grpc_ready(endpoint), timeout, port))


def proxy(side: Side, log: Path, timeout: float, user_function_port: int, role: str = "proxy") -> Launched:
    """Start the proxy (or its replica: ``role``) on free ports, its user function at the interceptor's port; or
    wait for the given address."""
    if side.endpoint is not None:
        endpoint = side.endpoint
        _await(f"the {role} at {endpoint.target}", proxy_ready(endpoint, None), timeout)
        return Launched(endpoint)
    port, management, metrics = free_port(), free_port(), free_port()
    endpoint = Endpoint(LOCALHOST, port)
    env = {**proxy_env(port, user_function_port, management, metrics), **dict(side.env)}
    ready = proxy_ready(endpoint, management)
    return Launched(endpoint, _managed(side, role, env, log, ready, timeout, port, user_function_port))


def _managed(
    side: Side,
    role: str,
    env: dict[str, str],
    log: Path,
    ready: Callable[[], bool],
    timeout: float,
    port: int,
    user_function_port: int | None = None,
) -> ManagedProcess | ManagedContainer:
    """The process (command) or container (image) of a side; started later by the session."""
    if side.image is not None:
        return ManagedContainer(role, side.image, env, log, ready, timeout)
    assert side.command is not None
    return ManagedProcess(role, substitute(side.command, port, user_function_port), env, log, ready, timeout)


__all__ = ["Launched", "grpc_ready", "proxy", "user_function"]
