"""The wheelhouse: the project's own wheels and every dependency, made on the host.

Images install from it with ``pip install --no-index``, so nothing inside a
container build reaches the network (containers here cannot verify the package
index's TLS certificate, and offline builds are reproducible). Dependencies are
fetched as binary wheels for the image's interpreter and platform, not the
host's, so a host with another Python version still makes a usable wheelhouse.

Each image then gets only the wheels it needs, split into ``own`` (ours, which
change often) and ``deps`` (third-party), so that its Dockerfile can install
the dependencies in a layer that stays cached while only our code changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cloudstate_images.catalog import COMPONENTS, Component
from cloudstate_images.errors import BuildError

#: Bookworm (the base image's distribution) has glibc 2.36; a wheel built for
#: any older glibc runs there too, so every manylinux tag up to 2.36 is accepted.
GLIBC = (2, 36)
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


def platform_tags(machine: str, glibc: tuple[int, int] = GLIBC) -> list[str]:
    """The wheel platform tags an image on ``machine`` (x86_64, aarch64) can install."""
    major, newest = glibc
    tags: list[str] = []
    for minor in range(newest, 4, -1):
        tags.append(f"manylinux_{major}_{minor}_{machine}")
        if minor in LEGACY_MANYLINUX:
            tags.append(f"{LEGACY_MANYLINUX[minor]}_{machine}")
    return tags


@dataclasses.dataclass(frozen=True)
class Target:
    """The interpreter and platform of the images, as pip's download options."""

    machine: str
    python_version: str = "3.11"

    def pip_options(self) -> list[str]:
        abi = "cp" + self.python_version.replace(".", "")
        options = ["--only-binary=:all:", "--python-version", self.python_version, "--implementation", "cp"]
        options += ["--abi", abi, "--abi", "abi3", "--abi", "none"]
        return options + [arg for tag in platform_tags(self.machine) for arg in ("--platform", tag)]


def _pip(args: Sequence[str]) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise BuildError(f"pip {args[0]} failed (exit {result.returncode}):\n{tail}")


def check_pip() -> None:
    """Fail early, and clearly, when this interpreter has no pip (uv-made venvs)."""
    found = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, check=False)
    if found.returncode != 0:
        raise BuildError(f"{sys.executable} has no pip; install it (`uv pip install pip`) or run with another Python")


def build_own(component: Component, wheelhouse: Path) -> None:
    """The wheel of one of the project's own distributions (pure Python), without dependencies."""
    check_pip()
    wheelhouse.mkdir(parents=True, exist_ok=True)
    # An isolated build environment costs index look-ups for the backend on
    # every build; when the backend is importable here, build with it directly.
    backend = component.build_backend().partition(".")[0]
    isolation = ["--no-build-isolation"] if backend and importlib.util.find_spec(backend) is not None else []
    _pip(["wheel", "--quiet", "--no-deps", *isolation, "--wheel-dir", str(wheelhouse), str(component.directory)])


def _pins(components: Sequence[Component]) -> list[str]:
    # Pinned to the versions whose wheels build_own made, so that an unrelated
    # distribution of the same name on an index never wins.
    return [f"{c.distribution}=={c.version}" for c in components]


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cloudstate-images" / "wheels"


def download_dependencies(
    components: Sequence[Component], wheelhouse: Path, target: Target, cache: Path | None = None
) -> None:
    """Every dependency of ``components`` (whose wheels are in ``wheelhouse``) as wheels into ``wheelhouse``.

    With a ``cache`` folder, the dependencies are first resolved from it alone, without
    the package index (a repeated build needs no network); when it lacks something, from
    the index, and what that brings is kept in the cache for the next build.
    """
    where = ["--find-links", str(wheelhouse), "--dest", str(wheelhouse)]
    request = [*target.pip_options(), *_pins(components)]
    if cache is not None and cache.is_dir():
        with contextlib.suppress(BuildError):
            _pip(["download", "--quiet", "--no-index", "--find-links", str(cache), *where, *request])
            return
    _pip(["download", "--quiet", *where, *request])
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        ours = _our_projects()
        for wheel in wheelhouse.glob("*.whl"):
            if _project(wheel) not in ours and not (cache / wheel.name).exists():
                shutil.copy(wheel, cache / wheel.name)


def _project(wheel: Path) -> str:
    """The normalized project name of a wheel file (``cloudstate_sdk-0.1.0-py3-none-any.whl`` -> cloudstate-sdk)."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def _our_projects() -> set[str]:
    return {re.sub(r"[-_.]+", "-", c.distribution).lower() for c in COMPONENTS if c.exists()}


def select(component: Component, wheelhouse: Path, destination: Path, target: Target) -> None:
    """Copy the wheels ``component`` needs from ``wheelhouse`` into ``destination``/own and /deps (offline)."""
    ours = _our_projects()
    with tempfile.TemporaryDirectory(prefix="cloudstate-wheels-") as temporary:
        where = ["--no-index", "--find-links", str(wheelhouse), "--dest", temporary]
        _pip(["download", "--quiet", *target.pip_options(), *where, *_pins([component])])
        for wheel in Path(temporary).glob("*.whl"):
            part = destination / ("own" if _project(wheel) in ours else "deps")
            part.mkdir(parents=True, exist_ok=True)
            shutil.move(wheel, part / wheel.name)
