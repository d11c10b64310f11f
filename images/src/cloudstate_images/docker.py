"""Thin wrappers over the ``docker`` command line (the engine may be older than any SDK expects)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from cloudstate_images.errors import BuildError


def run(args: Sequence[str], *, input_bytes: bytes | None = None, quiet: bool = True) -> str:
    """Run ``docker ARGS`` and return its standard output; a failure is a BuildError with the output's tail."""
    try:
        result = subprocess.run(
            ["docker", *args], input=input_bytes, capture_output=quiet, check=False, env=_environment()
        )
    except FileNotFoundError:
        raise BuildError("the docker command is not installed (images/docker-up.sh installs an engine)") from None
    if result.returncode != 0:
        output = (result.stdout or b"") + (result.stderr or b"")
        tail = "\n".join(output.decode(errors="replace").strip().splitlines()[-20:])
        raise BuildError(f"docker {args[0]} failed (exit {result.returncode}):\n{tail}")
    return (result.stdout or b"").decode(errors="replace")


def _environment() -> dict[str, str]:
    # Newer clients hand `docker build` to BuildKit (buildx), which Debian's
    # engine package does not bring; the classic builder does all we need.
    return {**os.environ, "DOCKER_BUILDKIT": os.environ.get("DOCKER_BUILDKIT", "0")}


def require_engine() -> None:
    try:
        answered = subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        answered = False
    if not answered:
        raise BuildError("no Docker engine answers `docker info` (images/docker-up.sh starts one)")


def image_exists(reference: str) -> bool:
    probe = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, check=False)
    return probe.returncode == 0


def try_pull(reference: str) -> bool:
    """Pull ``reference``; False (not an error) when no registry can be reached."""
    try:
        pulled = subprocess.run(["docker", "pull", "--quiet", reference], capture_output=True, check=False, timeout=300)
    except subprocess.TimeoutExpired:
        return False
    return pulled.returncode == 0


def machine() -> str:
    """The engine's CPU architecture as wheel tags spell it (x86_64, aarch64)."""
    return run(["info", "--format", "{{.Architecture}}"]).strip()


def image_size(reference: str) -> int:
    return int(run(["image", "inspect", "--format", "{{.Size}}", reference]).strip())
