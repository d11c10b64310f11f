"""The four report formats of one real run: a broken fake without actions, one requirement excluded.

That run has every requirement status (passed, failed, excluded, not
applicable, untested), so each writer is checked against all of them: the
JSON validates against the published schema, the JUnit XML parses with the
right counts, the Markdown shows the failure's evidence, and the HTML renders
its anchors and status cells in a real browser (headless Chromium).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tck import reporting
from tck.config import RunConfig
from tck.outcome import RunReport
from tck.reporting import json_report
from tck.runner import run
from tck.targets import Side
from tck.tests.runner.running import fake_command

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def report(directory: Path) -> RunReport:
    config = RunConfig(
        report_dir=directory,
        sdk=Side(command=fake_command("--defect", "ve-first-wins", "--without", "action")),
        exclusions={"TCKM-041": "a reviewed known failure"},
        only=("sdk/valueentity",),
        name="broken",
        seed=11,
        max_examples=6,
        max_steps=10,
        shrink=False,
    )
    return run(config)


@pytest.fixture(scope="module")
def written(report: RunReport, directory: Path) -> Path:
    reporting.write_all(report, directory)
    return directory


def test_the_run_has_every_status(report: RunReport) -> None:
    assert {"passed", "failed", "excluded", "not-applicable", "untested"} <= {r.status for r in report.requirements}


def test_json_validates_against_the_published_schema(written: Path, report: RunReport) -> None:
    data = json.loads((written / "tck-broken.json").read_text(encoding="utf-8"))
    schema = json.loads((written / "schema" / "tck-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert data["seed"] == 11
    assert data["summary"] == report.summary
    assert data["requirements"]["TCKM-041"]["status"] == "excluded"
    assert data["requirements"]["TCKM-041"]["observed"] == "failed"


def test_the_schema_in_reports_is_the_one_the_tck_publishes() -> None:
    published = REPO / "reports" / "schema" / "tck-report.schema.json"
    assert published.read_text(encoding="utf-8") == json_report.schema_text()


def test_the_schema_rejects_a_failure_without_evidence(written: Path) -> None:
    data = json.loads((written / "tck-broken.json").read_text(encoding="utf-8"))
    failed = next(rid for rid, entry in data["requirements"].items() if entry["status"] == "failed")
    data["requirements"][failed]["failure"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_report.schema())


def test_junit_has_a_testsuite_per_suite_and_a_testcase_per_requirement(written: Path, report: RunReport) -> None:
    root = ET.parse(written / "tck-broken.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert {"sdk/discovery", "sdk/valueentity", "sdk/action"} <= set(suites)
    cases = [c for c in root.iter("testcase") if c.get("name") != "(the suite itself)"]
    assert sorted(c.get("name") or "" for c in cases) == sorted(r.requirement.id for r in report.requirements)
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == report.summary["failed"]
    assert all("program:" in (c.findtext("failure") or "") for c in failures if c.get("name") == "VE-016")
    skipped = sum(int(s.get("skipped") or 0) for s in suites.values())
    assert skipped == len(report.requirements) - len(failures) - report.summary["passed"]


def test_markdown_shows_counts_and_failure_evidence(written: Path, report: RunReport) -> None:
    text = (written / "tck-broken.md").read_text(encoding="utf-8")
    assert f"**{report.summary['failed']}**" in text
    assert "### [VE-016](../dist/spec/html/10-value-entities.html#VE-016)" in text
    assert "<summary>Program</summary>" in text
    assert "<summary>Transcript" in text
    assert "**TCKM-041**: a reviewed known failure (observed: failed)" in text


def _chromium() -> str:
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for the HTML rendering test; `apt-get install chromium` (.ci/run does)")


def test_html_renders_anchors_and_status_cells_in_a_browser(written: Path, report: RunReport) -> None:
    page = written / "tck-broken.html"
    dom = subprocess.run(
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
    ).stdout
    rows = dict(re.findall(r'<tr id="([A-Z][A-Z0-9-]+)">.*?<td class="status s-([a-z-]+)">', dom))
    assert rows == {r.requirement.id: r.status for r in report.requirements}
    assert 'href="../dist/spec/html/10-value-entities.html#VE-016"' in dom
    for capability in ("core", "value-entity", "action"):
        assert f'<section id="capability-{capability}">' in dom
    source = page.read_text(encoding="utf-8")
    assert not re.search(r"<script|<link|<img|src=|@import|url\(", source)  # self-contained: nothing to fetch
