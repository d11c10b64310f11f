"""Build the images: one wheelhouse and build context per run, then ``docker build`` per image.

A component that does not build (its wheel, or its image) costs only its own
images; the others are still built, and every outcome is reported.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cloudstate_images import base, docker
from cloudstate_images import wheelhouse as wheelhouse_tools
from cloudstate_images.catalog import SPEC, Component, Image, in_build_order
from cloudstate_images.errors import BuildError
from cloudstate_images.wheelhouse import Target

PROBE = Path(__file__).with_name("probe.py")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one image: its tags, size and build time, or why it failed."""

    image: Image
    tags: tuple[str, ...] = ()
    size: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        """One line: name, size, build time and tags, or the failure."""
        if self.error is not None:
            return f"{self.image.name:13} FAILED: {self.error}"
        return f"{self.image.name:13} {self.size / 1e6:4.0f} MB  {self.seconds:5.1f}s  {' '.join(self.tags)}"


def _components(images: Sequence[Image]) -> list[Component]:
    needed: list[Component] = [SPEC] if SPEC.exists() else []
    for image in images:
        if image.component not in needed:
            needed.append(image.component)
    return needed


def _wheelhouse(
    wheelhouse: Path, components: Sequence[Component], target: Target, cache: Path | None
) -> dict[Component, str]:
    """Fill ``wheelhouse``; returns the components whose wheels could not be had, with the reason."""
    failed: dict[Component, str] = {}
    built: list[Component] = []
    for component in components:
        try:
            wheelhouse_tools.build_own(component, wheelhouse)
            built.append(component)
        except BuildError as error:
            failed[component] = str(error)
    if not built:
        return failed
    try:
        wheelhouse_tools.download_dependencies(built, wheelhouse, target, cache)
    except BuildError:
        # Find out whose dependencies cannot be had, and keep the others.
        for component in built:
            try:
                wheelhouse_tools.download_dependencies([component], wheelhouse, target, cache)
            except BuildError as error:
                failed[component] = str(error)
    return failed


def _context(image: Image, wheelhouse: Path, directory: Path, target: Target) -> Path:
    """The build context of one image: the probe, and the wheels it installs (none when built on another image)."""
    context = directory / image.name
    context.mkdir()
    shutil.copy(PROBE, context / "probe.py")
    if image.parent is None:
        wheelhouse_tools.select(image.component, wheelhouse, context / "wheels", target)
    return context


def _build_one(image: Image, context: Path, build_args: dict[str, str], no_cache: bool) -> Outcome:
    started = time.monotonic()
    tags = image.tags()
    command = ["build", "--file", str(image.dockerfile), "--rm", "--force-rm"]
    command += [arg for key, value in build_args.items() for arg in ("--build-arg", f"{key}={value}")]
    command += [arg for tag in tags for arg in ("--tag", tag)]
    if no_cache:
        command.append("--no-cache")
    try:
        docker.run([*command, str(context)])
    except BuildError as error:
        return Outcome(image, error=str(error), seconds=time.monotonic() - started)
    return Outcome(image, tuple(tags), docker.image_size(tags[0]), time.monotonic() - started)


@dataclasses.dataclass(frozen=True)
class _Run:
    """What every image of one build shares."""

    base_image: str
    wheelhouse: Path
    wheel_failures: dict[Component, str]
    target: Target
    directory: Path
    no_cache: bool


def _image(image: Image, run: _Run, done: dict[str, Outcome]) -> Outcome:
    if (reason := run.wheel_failures.get(image.component) or run.wheel_failures.get(SPEC)) is not None:
        return Outcome(image, error=f"its wheel did not build: {reason}")
    args = {"BASE_IMAGE": run.base_image}
    if image.parent is not None:
        argument, parent = image.parent
        if not done[parent].ok:
            return Outcome(image, error=f"it is built on {parent}, which failed")
        args[argument] = done[parent].tags[0]
    try:
        context = _context(image, run.wheelhouse, run.directory, run.target)
    except BuildError as error:
        return Outcome(image, error=f"its wheels could not be selected: {error}")
    return _build_one(image, context, args, run.no_cache)


def build(
    names: Sequence[str] | None = None,
    *,
    base_image: str | None = None,
    no_cache: bool = False,
    python_version: str = "3.11",
    wheel_cache: Path | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> list[Outcome]:
    """Build the named images (every one when None) and the images they are built on.

    ``wheel_cache`` keeps third-party wheels between builds (None: always ask the
    package index). ``report`` receives a line after each step: base image, wheelhouse, each image.
    """
    docker.require_engine()
    images = in_build_order(list(names) if names is not None else None)
    done = {
        i.name: Outcome(i, error=f"{i.dockerfile} or {i.component.pyproject} does not exist yet")
        for i in images
        if not i.buildable()
    }
    for outcome in done.values():
        report(outcome.summary())
    buildable = [i for i in images if i.buildable()]
    if not buildable:
        return [done[i.name] for i in images]
    started = time.monotonic()
    chosen_base = base.choose(base_image)
    report(f"base image {chosen_base} ({time.monotonic() - started:.1f}s)")
    target = Target(docker.machine(), python_version)
    with tempfile.TemporaryDirectory(prefix="cloudstate-images-") as temporary:
        started, wheelhouse = time.monotonic(), Path(temporary) / "wheelhouse"
        failures = _wheelhouse(wheelhouse, _components(buildable), target, wheel_cache)
        report(f"wheelhouse of {len(list(wheelhouse.glob('*.whl')))} wheels ({time.monotonic() - started:.1f}s)")
        run = _Run(chosen_base, wheelhouse, failures, target, Path(temporary), no_cache)
        for image in buildable:
            done[image.name] = outcome = _image(image, run, done)
            report(outcome.summary())
    return [done[i.name] for i in images]
