"""``python -m tck run`` against the fake user function, started as a command or given as an address."""

from __future__ import annotations

import shlex
import sys
import uuid
from pathlib import Path

import pytest

from tck import cli
from tck.sdk.driver import UserFunction
from tck.tests.runner.running import fake_command, processes_with, run_tck, statuses


def test_a_correct_fake_passes_with_exit_status_0(tmp_path: Path) -> None:
    status, report = run_tck(tmp_path, "--sdk", fake_command())
    assert status == 0
    assert report["outcome"] == "passed"
    found = statuses(report)
    assert set(found.values()) <= {"passed", "untested", "not-applicable"}
    for rid in ("DISC-004", "ES-032", "VE-016", "TCKM-053"):  # discovery and each area were really checked
        assert found[rid] == "passed", rid
    suites = {s["name"]: s["status"] for s in report["suites"]}
    assert {"sdk/discovery", "sdk/eventsourced", "sdk/valueentity", "sdk/action"} <= set(suites)
    assert set(suites.values()) == {"passed"}
    assert report["implementation"]["user_function"]["support_library_name"] == "tck-fake"
    assert not processes_with("tck.tests.fakes.fake_server --port")


def test_a_broken_fake_fails_naming_the_requirement_with_program_and_transcript(tmp_path: Path) -> None:
    status, report = run_tck(tmp_path, "--sdk", fake_command("--defect", "ve-first-wins"), "--only", "sdk/valueentity")
    assert status == 1
    entry = report["requirements"]["VE-016"]
    assert entry["status"] == "failed"
    failure = entry["failure"]
    assert failure["program"]
    assert failure["transcript"]
    assert failure["seed"] == report["seed"] == 7
    assert any(line.startswith("ve#") for line in failure["transcript"])
    assert "VE-016" in failure["message"]
    assert report["summary"]["must-failed"] >= 1


def test_an_exclusion_reports_the_requirement_as_excluded(tmp_path: Path) -> None:
    exclusions = tmp_path / "exclusions.yaml"
    exclusions.write_text('- id: VE-016\n  reason: "the last update should win; known bug #12"\n')
    args = [
        "--sdk",
        fake_command("--defect", "ve-first-wins"),
        "--only",
        "sdk/valueentity",
        "--no-shrink",
        "--exclusions",
    ]
    status, report = run_tck(tmp_path, *args, str(exclusions))
    entry = report["requirements"]["VE-016"]
    assert entry["status"] == "excluded"
    assert entry["observed"] == "failed"
    assert entry["reason"] == "the last update should win; known bug #12"
    assert status == 1  # the other requirements of the failing checks are not excluded


def test_a_user_function_without_value_entities_makes_them_not_applicable(tmp_path: Path) -> None:
    status, report = run_tck(tmp_path, "--sdk", fake_command("--without", "value-entity"), "--only", "sdk/valueentity")
    assert status == 0
    value_entity = {rid: e for rid, e in report["requirements"].items() if e["capability"] == "value-entity"}
    assert value_entity
    assert {e["status"] for e in value_entity.values()} == {"not-applicable"}
    assert all("value-entity" in e["reason"] for e in value_entity.values() if e["binds"] != "proxy")
    [suite] = [s for s in report["suites"] if s["name"] == "sdk/valueentity"]
    assert suite["status"] == "not-applicable"


def test_a_running_user_function_is_checked_at_its_address(tmp_path: Path, fake: UserFunction) -> None:
    status, report = run_tck(tmp_path, "--sdk", fake.address, "--only", "sdk/action")
    assert status == 0
    assert statuses(report)["TCKM-053"] == "passed"
    assert report["sides"][0]["command"] == fake.address
    assert report["sides"][0]["log"] is None


def test_a_command_that_never_becomes_ready_is_named_and_stopped(tmp_path: Path) -> None:
    marker = f"never-ready-{uuid.uuid4().hex}"
    script = "import sys, time; print(sys.argv[1], flush=True); time.sleep(600)"
    command = shlex.join([sys.executable, "-c", script, marker])
    status, report = run_tck(tmp_path, "--sdk", command, "--ready-timeout", "2")
    assert status == 2
    assert report["outcome"] == "error"
    assert marker in report["error"]  # names the command
    assert "did not become ready within 2 s" in report["error"]
    assert marker in report["sides"][0]["log_tail"]  # and shows what it printed
    assert not processes_with(marker)
    assert report["summary"]["passed"] == 0


def test_a_command_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    status, report = run_tck(tmp_path, "--sdk", "echo no such user function; exit 3")
    assert status == 2
    assert "exited with status 3" in report["error"]
    assert "no such user function" in report["error"]


def test_usage_errors_exit_with_2_before_starting_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--report-dir", str(tmp_path)]) == 2
    assert cli.main(["run", "--sdk", fake_command(), "--only", "sdk/nothing", "--report-dir", str(tmp_path)]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: NOPE-001\n  reason: x\n- id: VE-016\n")
    assert cli.main(["run", "--sdk", fake_command(), "--exclusions", str(bad), "--report-dir", str(tmp_path)]) == 2
    assert cli.main(["run", "--proxy", "127.0.0.1:9000", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs --interceptor-port" in err
    assert "give --sdk, --proxy or both" in err
    assert "unknown suites sdk/nothing" in err
    assert "NOPE-001 is not a requirement" in err
    assert "needs exactly the keys id and reason" in err
    assert not list(tmp_path.glob("tck-*.json"))
