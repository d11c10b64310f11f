"""Every image builds, is tagged twice, runs as a non-root user, has a HEALTHCHECK and carries no build leftovers."""

from __future__ import annotations

import json
import subprocess

import pytest
from cloudstate_images import IMAGES, Outcome
from images_harness import image_tag

pytestmark = pytest.mark.usefixtures("no_leftovers")

NAMES = [i.name for i in IMAGES]
# A Python base is about 125 MB; our virtual environments add up to about 60 MB.
LARGEST = 300_000_000


def _inspect(reference: str) -> dict[str, object]:
    raw = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, check=True).stdout
    image: dict[str, object] = json.loads(raw)[0]
    return image


@pytest.mark.parametrize("name", NAMES)
def test_image_is_tagged_with_its_version_and_dev(built: dict[str, Outcome], name: str) -> None:
    versioned = image_tag(built, name)
    version = built[name].image.component.version
    assert versioned == f"cloudstate/{name}:{version}"
    assert _inspect(versioned)["Id"] == _inspect(f"cloudstate/{name}:dev")["Id"]


@pytest.mark.parametrize("name", NAMES)
def test_image_runs_as_a_non_root_user_with_a_healthcheck(built: dict[str, Outcome], name: str) -> None:
    config = _inspect(image_tag(built, name))["Config"]
    assert isinstance(config, dict)
    assert config["User"] == "10001:10001"
    test = config["Healthcheck"]["Test"]
    assert test[0] == "CMD"
    assert "/opt/cloudstate/probe.py" in test


# Run inside each image by its own Python: who runs, what the environment holds,
# and whether every console script of our distributions imports.
INSIDE = """
import importlib.metadata, importlib.util, json, os, sys
scripts = [
    ep.name
    for dist in importlib.metadata.distributions()
    if dist.metadata["Name"].startswith("cloudstate")
    for ep in dist.entry_points
    if ep.group == "console_scripts" and ep.load()
]
print(json.dumps({
    "uid": os.getuid(),
    "prefix": sys.prefix,
    "pip": importlib.util.find_spec("pip") is not None,
    "wheels": os.path.exists("/wheels"),
    "scripts": sorted(scripts),
}))
"""
SCRIPTS = {
    "proxy": ["cloudstate-proxy"],
    "sdk-tck": ["cloudstate-sdk-tck-model"],
    "sdk-examples": ["cloudstate-sdk-tck-model"],
    "operator": ["cloudstate-operator"],
}


@pytest.mark.parametrize("name", NAMES)
def test_image_holds_a_working_virtual_environment_without_pip_or_wheels(built: dict[str, Outcome], name: str) -> None:
    tag = image_tag(built, name)
    assert built[name].size < LARGEST
    command = ["docker", "run", "--rm", "--network", "host", "--entrypoint", "python", tag, "-c", INSIDE]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "uid": 10001,
        "prefix": "/opt/cloudstate",
        "pip": False,
        "wheels": False,
        "scripts": SCRIPTS[name],
    }
