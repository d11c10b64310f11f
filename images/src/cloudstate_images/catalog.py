"""The images this project publishes and where their parts live.

Every image is built from one component's Dockerfile with the same build
context: a wheelhouse holding all of the project's wheels and their
dependencies, plus the health probe. A component whose pyproject.toml does not
exist yet is simply not part of the build.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

#: The repository root (images/ sits directly below it).
ROOT = Path(__file__).resolve().parents[3]


@dataclasses.dataclass(frozen=True)
class Component:
    """A distribution of this project that goes into the wheelhouse."""

    directory: Path

    @property
    def pyproject(self) -> Path:
        return self.directory / "pyproject.toml"

    def exists(self) -> bool:
        return self.pyproject.is_file()

    def metadata(self) -> dict[str, str]:
        document = tomllib.loads(self.pyproject.read_text(encoding="utf-8"))
        project, system = document["project"], document.get("build-system", {})
        return {
            "name": str(project["name"]),
            "version": str(project["version"]),
            "build-backend": str(system.get("build-backend", "")),
        }

    def build_backend(self) -> str:
        return self.metadata()["build-backend"]

    @property
    def distribution(self) -> str:
        return self.metadata()["name"]

    @property
    def version(self) -> str:
        return self.metadata()["version"]


@dataclasses.dataclass(frozen=True)
class Image:
    """One image: its short name, the component it installs and its Dockerfile."""

    name: str
    component: Component
    dockerfile: Path
    #: (build argument, image name) when this image is built on another of ours.
    parent: tuple[str, str] | None = None

    @property
    def repository(self) -> str:
        return f"cloudstate/{self.name}"

    def tags(self) -> list[str]:
        """``cloudstate/<name>:<component version>`` and ``cloudstate/<name>:dev``."""
        return [f"{self.repository}:{self.component.version}", f"{self.repository}:dev"]

    def buildable(self) -> bool:
        return self.component.exists() and self.dockerfile.is_file()


SPEC = Component(ROOT / "spec")
PROXY = Component(ROOT / "reference" / "proxy")
SDK = Component(ROOT / "reference" / "sdk")
OPERATOR = Component(ROOT / "operator")

#: Everything that goes into the wheelhouse, dependencies first.
COMPONENTS = (SPEC, SDK, PROXY, OPERATOR)

IMAGES = (
    Image("proxy", PROXY, PROXY.directory / "Dockerfile"),
    Image("sdk-tck", SDK, SDK.directory / "Dockerfile"),
    Image("sdk-examples", SDK, SDK.directory / "examples" / "Dockerfile", parent=("SDK_IMAGE", "sdk-tck")),
    Image("operator", OPERATOR, OPERATOR.directory / "Dockerfile"),
)


def image(name: str) -> Image:
    """The image called ``name``; KeyError names the known ones."""
    for candidate in IMAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no image called {name!r}; known: {', '.join(i.name for i in IMAGES)}")


def in_build_order(names: list[str] | None = None) -> list[Image]:
    """The named images (all when None) and the images they are built on, parents first."""
    wanted = {image(n).name for n in names} if names is not None else {i.name for i in IMAGES}
    for candidate in IMAGES:
        if candidate.name in wanted and candidate.parent is not None:
            wanted.add(candidate.parent[1])
    return [i for i in IMAGES if i.name in wanted]  # IMAGES lists parents before children
