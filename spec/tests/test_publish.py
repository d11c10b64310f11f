"""`nox -s spec` artefacts: wheel and sdist, descriptor set with imports and
comments, proto zip, and HTML that renders its requirement anchors in a real
browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import protos
import publish
import pytest
from cloudstate_protocol.requirements import load_registry
from google.protobuf import descriptor_pb2

SPEC = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spec")
    publish.publish(out)
    return out


def test_wheel_carries_generated_code_protos_and_registry(published: Path) -> None:
    [wheel] = published.glob("cloudstate_protocol-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cloudstate/entity_pb2.py" in names
    assert "cloudstate/tck/model/eventsourced_pb2_grpc.py" in names
    assert "cloudstate_protocol/proto/cloudstate/entity.proto" in names
    assert "cloudstate_protocol/requirements.yaml" in names
    assert list(published.glob("cloudstate_protocol-*.tar.gz"))


def test_descriptor_set_includes_imports_and_comments(published: Path) -> None:
    [path] = published.glob("cloudstate-protocol-*.binpb")
    files = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes()).file}
    assert {"google/protobuf/any.proto", "google/api/http.proto", "cloudstate/entity.proto"} <= set(files)
    assert any(loc.leading_comments for loc in files["cloudstate/entity.proto"].source_code_info.location)


def test_proto_zip_holds_every_protocol_file(published: Path) -> None:
    [path] = published.glob("cloudstate-protocol-*-protos.zip")
    assert sorted(zipfile.ZipFile(path).namelist()) == protos.proto_files()


def test_protocol_reference_documents_every_service(published: Path) -> None:
    reference = (published / "html" / "protocol.html").read_text()
    for service in ["cloudstate.EntityDiscovery", "cloudstate.eventsourced.EventSourced", "cloudstate.crdt.Crdt"]:
        assert f'id="{service.replace(".", "-")}"' in reference


def _chromium() -> str:
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the HTML rendering test; `apt-get install chromium` (.ci/run does)")


def _rendered_dom(page: Path) -> str:
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_html_renders_every_requirement_anchor_in_a_browser(published: Path) -> None:
    requirements = load_registry(SPEC / "requirements.yaml")
    by_page: dict[str, set[str]] = {}
    for requirement in requirements:
        by_page.setdefault(requirement.section.partition("#")[0].removesuffix(".md"), set()).add(requirement.id)
    for page, ids in by_page.items():
        dom = _rendered_dom(published / "html" / f"{page}.html")
        rendered = set(re.findall(r'<li id="([A-Z][A-Z0-9-]+)"', dom))
        assert ids <= rendered, f"{page}.html lacks anchors {sorted(ids - rendered)[:5]}"
    table = _rendered_dom(published / "html" / "requirements.html")
    assert all(f"#{r.id}" in table for r in requirements)
