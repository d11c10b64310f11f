"""The Docker engine and the project's images for the TCK's container tests: skip without them, fail under CI.

The images are built once (``python images/build.py``) when one is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

PROXY_IMAGE = "cloudstate/proxy:dev"
SDK_IMAGE = "cloudstate/sdk-tck:dev"
_BUILD = Path(__file__).resolve().parents[3] / "images" / "build.py"


def _unavailable(reason: str) -> NoReturn:
    """Skip with the reason, except under CI (CI set), whose setup must provide Docker and the images."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so it must be there")
    pytest.skip(reason)


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False, timeout=60)


def engine() -> None:
    try:
        info = _docker("info")
    except FileNotFoundError:
        _unavailable("the docker command is not installed")
    except subprocess.TimeoutExpired:
        _unavailable("`docker info` did not answer within 60 s")
    if info.returncode != 0:
        _unavailable("no Docker engine answers `docker info` (start one: images/docker-up.sh)")


def images() -> None:
    """The proxy and SDK TCK-model images, built with images/build.py when one is missing."""
    engine()
    missing = [image for image in (PROXY_IMAGE, SDK_IMAGE) if _docker("image", "inspect", image).returncode != 0]
    if not missing:
        return
    if not _BUILD.is_file():
        _unavailable(f"the images {', '.join(missing)} are missing and {_BUILD} is not there to build them")
    built = subprocess.run(
        [sys.executable, str(_BUILD), "--only", "proxy", "--only", "sdk-tck"], capture_output=True, text=True
    )
    if built.returncode != 0:
        _unavailable(f"images/build.py could not build {', '.join(missing)}:\n{built.stdout[-2000:]}")


def containers() -> set[str]:
    """Every container the engine knows, running or not (`docker ps -a`)."""
    return set(_docker("ps", "--all", "--quiet", "--no-trunc").stdout.split())
