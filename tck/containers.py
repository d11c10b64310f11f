"""Sides run from container images: the same start/stop/restart/log interface as :class:`~tck.processes.ManagedProcess`.

A :class:`ManagedContainer` runs an image with host networking (the machines
this project targets have no bridge network), hands it its loopback ports in
the environment the Cloudstate images read (``PORT`` for a user function;
``USER_FUNCTION_HOST``/``USER_FUNCTION_PORT``, ``HTTP_PORT``,
``MANAGEMENT_PORT``, ``METRICS_PORT`` for a proxy), and waits, bounded, for
the same readiness probe a process gets. A container that exits early or
never becomes ready is removed and reported with the end of its log. Its log
is copied into the side's log file whenever it stops, and every container is
removed on stop, so nothing outlives the run. The Docker SDK is the optional
``images`` extra (``pip install 'cloudstate-tck[images]'``), imported only
when an image is run.
"""

from __future__ import annotations

import contextlib
import importlib
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tck.processes import READY_TIMEOUT, STOP_GRACE, ProcessError

_POLL = 0.2
#: Label on every container the TCK starts (``docker ps -a --filter label=cloudstate.tck``).
LABEL = "cloudstate.tck"


def docker_sdk() -> Any:
    """The Docker SDK module, imported only when an image is run (it is an optional dependency, untyped)."""
    try:
        return importlib.import_module("docker")
    except ImportError as error:
        raise ProcessError(
            "running images needs the Docker SDK: pip install 'cloudstate-tck[images]' (or pip install docker)"
        ) from error


def docker_client() -> Any:
    """A client of the local Docker engine; ProcessError when the SDK is missing or no engine answers."""
    docker = docker_sdk()
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        raise ProcessError(f"no Docker engine answers: {error}") from error
    return client


class ManagedContainer:
    """One container started from an image (a :class:`~tck.suites.Restartable`): start, wait, stop, restart."""

    def __init__(
        self,
        role: str,
        image: str,
        env: Mapping[str, str],
        log_path: Path,
        ready: Callable[[], bool],
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.role, self.image, self.env, self.log_path = role, image, dict(env), log_path
        self.command = f"image {image}"
        self.ready, self.ready_timeout = ready, ready_timeout
        self.name: str | None = None
        self._container: Any = None

    def start(self) -> None:
        """Run the image and return once it is ready; on failure (or Ctrl-C) it is removed and ProcessError raised."""
        client, docker = docker_client(), docker_sdk()

        try:
            client.images.get(self.image)
        except docker.errors.ImageNotFound as error:
            raise ProcessError(
                f"the {self.role} image {self.image} is not present (build it: python images/build.py)"
            ) from error
        self.name = f"tck-{self.role.replace(' ', '-')}-{uuid.uuid4().hex[:8]}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- tck: starting {self.role}: container {self.name} from {self.image}\n")
        try:
            self._container = client.containers.run(
                self.image,
                detach=True,
                name=self.name,
                network_mode="host",
                environment=self.env,
                labels={LABEL: self.role},
            )
            self._await_ready()
        except docker.errors.DockerException as error:
            self.stop()
            raise ProcessError(
                f"the {self.role} container {self.name} ({self.image}) could not run: {error}"
            ) from error
        except BaseException:
            self.stop()
            raise

    def _await_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            self._container.reload()
            if self._container.status in {"exited", "dead"}:
                code = self._container.attrs.get("State", {}).get("ExitCode")
                raise ProcessError(self._explain(f"exited with status {code} before it became ready"))
            if self.ready():
                return
            time.sleep(_POLL)
        raise ProcessError(self._explain(f"did not become ready within {self.ready_timeout:g} s"))

    def _explain(self, what: str) -> str:
        tail = self.log_tail(20).rstrip() or "(no output)"
        self.stop()
        return (
            f"the {self.role} container {self.name} ({self.image}) {what}; its log {self.log_path} ends with:\n{tail}"
        )

    def _live_log(self) -> str:
        return self._log_of(self._container) if self._container is not None else ""

    def stop(self) -> None:
        """Stop and remove the container, keeping its log in the log file; safe to call more than once."""
        container, log = self._container, self._live_log()
        self._container = None
        if container is None:
            return
        with contextlib.suppress(Exception):
            container.stop(timeout=int(STOP_GRACE))
        log = self._log_of(container) or log
        with self.log_path.open("a", encoding="utf-8") as file:
            file.write(log if log.endswith("\n") or not log else log + "\n")
        with contextlib.suppress(Exception):
            container.remove(force=True)

    @staticmethod
    def _log_of(container: Any) -> str:
        with contextlib.suppress(Exception):  # a container the engine already lost has no log to give
            return bytes(container.logs(stdout=True, stderr=True)).decode(errors="replace")
        return ""

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 50) -> str:
        """The last ``lines`` lines of the log file and, while it runs, of the container's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        return "\n".join((text + self._live_log()).splitlines()[-lines:])


__all__ = ["LABEL", "ManagedContainer", "docker_client", "docker_sdk"]
