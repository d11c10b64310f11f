"""Fixtures for the image tests: a Docker engine (skip without one, fail under CI) and the images, built once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from cloudstate_images import Outcome, build
from cloudstate_images.wheelhouse import default_cache


def _engine_problem() -> str | None:
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30)
    except FileNotFoundError:
        return "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    return None if info.returncode == 0 else "no Docker engine answers `docker info` (start one: images/docker-up.sh)"


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skips the test without a Docker engine, except under CI (CI set), whose .ci/run starts one."""
    problem = _engine_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem}; CI is set, so the engine must be there")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def built(docker_engine: None) -> dict[str, Outcome]:
    """Every image whose component exists, built once per session (as `python images/build.py` does)."""
    return {outcome.image.name: outcome for outcome in build(wheel_cache=default_cache())}


def _containers() -> set[str]:
    listing = subprocess.run(["docker", "ps", "--all", "--quiet", "--no-trunc"], capture_output=True, check=True)
    return set(listing.stdout.decode().split())


@pytest.fixture
def no_leftovers(docker_engine: None) -> Iterator[None]:
    """Fails the test when a container it started is still there afterwards (`docker ps -a` before and after)."""
    before = _containers()
    yield
    left = _containers() - before
    assert not left, f"containers left behind: {sorted(left)}"
