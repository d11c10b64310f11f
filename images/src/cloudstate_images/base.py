"""The base image: ``python:3.11-slim`` when a registry serves it, else one made from Debian packages.

Where no container registry can be reached, ``debootstrap`` installs a minimal
Debian bookworm (whose python3 is 3.11, the project's floor) from the apt
mirror this machine already uses, and ``docker import`` turns it into an image.
It is made once and reused while it exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from cloudstate_images import docker
from cloudstate_images.errors import BuildError

REGISTRY_BASE = "python:3.11-slim"
LOCAL_BASE = "cloudstate-python-base:bookworm"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
# Nothing in these is used at run time; dropping them saves tens of megabytes.
PRUNED: tuple[str, ...] = ("usr/share/doc/*", "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*")
PRUNED += ("var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*")


def choose(requested: str | None) -> str:
    """The base image to build on: the requested one, else the registry's, else the local one."""
    docker.require_engine()
    if requested is not None and requested != LOCAL_BASE:
        return requested
    if requested is None and (docker.image_exists(REGISTRY_BASE) or docker.try_pull(REGISTRY_BASE)):
        return REGISTRY_BASE
    ensure_local()
    return LOCAL_BASE


def debian_mirror(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The first Debian mirror URL that apt on this machine uses for the main archive."""
    files: list[Path] = []
    for source in sources:
        files += sorted(source.glob("*")) if source.is_dir() else [source] if source.is_file() else []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        # One-line format ("deb URL suite components") and deb822 ("URIs: URL").
        candidates = re.findall(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+" + SUITE + r"\s", text, re.MULTILINE)
        if re.search(r"^Suites:.*\b" + SUITE + r"\b(?!-)", text, re.MULTILINE):
            candidates += re.findall(r"^URIs:\s*(\S+)", text, re.MULTILINE)
        for url in candidates:
            if str(url).rstrip("/").endswith("/debian"):
                return str(url)
    raise BuildError(f"no Debian {SUITE} mirror found in {', '.join(map(str, sources))}")


def ensure_local(name: str = LOCAL_BASE) -> None:
    """Make the Debian-based image ``name`` unless it already exists."""
    if docker.image_exists(name):
        return
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is not installed (images/docker-up.sh installs it)")
    if os.geteuid() != 0:
        raise BuildError(f"building {name} with debootstrap needs root; or pass --base-image with an existing image")
    with tempfile.TemporaryDirectory(prefix="cloudstate-rootfs-") as temporary:
        rootfs = Path(temporary) / "rootfs"
        command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs)]
        result = subprocess.run([*command, debian_mirror()], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
            raise BuildError(f"debootstrap failed (exit {result.returncode}):\n{tail}")
        _prune(rootfs)
        archive = Path(temporary) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
        changes = ["--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]']
        docker.run(["import", *changes, str(archive), name])


def _prune(rootfs: Path) -> None:
    for pattern in PRUNED:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
