"""The committed generated code is exactly what `nox -s protos` would write."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import protos

SPEC = Path(__file__).resolve().parent.parent


def test_generated_code_is_fresh() -> None:
    assert protos.check() == 0, "generated sources are outdated; run `nox -s protos`"


def test_gencode_needs_no_newer_protobuf_than_declared() -> None:
    # Generated modules refuse to import on a protobuf runtime older than the
    # protoc that wrote them; the declared dependency floor must cover that.
    floors = set()
    for module in protos.GENERATED.rglob("*_pb2.py"):
        found = re.search(
            r"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*(\d+),\s*(\d+),\s*(\d+)",
            module.read_text(),
        )
        assert found, f"{module.name} has no runtime version check"
        floors.add(tuple(int(part) for part in found.groups()))
    needed = max(floors)
    project = tomllib.loads((SPEC / "pyproject.toml").read_text())["project"]
    declared = next(d for d in project["dependencies"] if d.startswith("protobuf>="))
    floor = tuple(int(part) for part in declared.removeprefix("protobuf>=").split("."))
    assert floor >= needed, f"pyproject declares {declared}, generated code needs {'.'.join(map(str, needed))}"


def test_every_generated_package_is_a_package() -> None:
    for folder in [
        protos.GENERATED,
        *(p for p in protos.GENERATED.rglob("*") if p.is_dir() and p.name != "__pycache__"),
    ]:
        assert (folder / "__init__.py").is_file(), folder
