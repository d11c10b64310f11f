"""The benchmark harness end to end with a handful of calls: it runs, and its figures are well formed.

Only the shape and sanity of the figures are checked (positive, finite,
ratios that are what they claim to be); timing is never asserted. Needs the
proxy and the SDK installed and the PostgreSQL server binaries (the harness
starts a throwaway server, like the proxy's own tests).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1]
SCENARIOS = ["baseline", "memory", "memory-grpc-port", "postgresql"]
REQUESTS, ENTITIES, REPETITIONS = 30, 20, 2


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    output = tmp_path_factory.mktemp("bench") / "latest.json"
    command = [sys.executable, str(BENCH / "run.py"), "--requests", str(REQUESTS), "--warmup", "0"]
    command += ["--entities", str(ENTITIES), "--concurrency", "4", "--repetitions", str(REPETITIONS)]
    done = subprocess.run([*command, "--output", str(output)], capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    return done, json.loads(output.read_text())


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_every_scenario_ran_every_repetition_without_errors(
    smoke_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, result = smoke_run
    assert [s["key"] for s in result["scenarios"]] == SCENARIOS
    for scenario in result["scenarios"]:
        assert scenario["errors"] == 0, scenario["runs"]
        assert len(scenario["runs"]) == REPETITIONS
        for run in scenario["runs"]:
            assert run["calls"] == REQUESTS
            assert run["warmup_calls"] >= ENTITIES  # warm-up reaches every entity once
            assert run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]


def test_figures_are_positive_and_ratios_divide_by_the_baseline(
    smoke_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, result = smoke_run
    baseline = result["scenarios"][0]["median"]
    for scenario in result["scenarios"]:
        median, ratio = scenario["median"], scenario["ratio_to_baseline"]
        for key in ("calls_per_s", "p50_ms", "p99_ms"):
            assert _positive(median[key]), (scenario["key"], key, median)
            assert ratio[key] == pytest.approx(median[key] / baseline[key])
        assert _positive(scenario["server_peak_rss_mib"])
    assert result["scenarios"][0]["ratio_to_baseline"] == {"calls_per_s": 1.0, "p50_ms": 1.0, "p99_ms": 1.0}
    assert all(_positive(s["user_function_peak_rss_mib"]) for s in result["scenarios"][1:])
    assert _positive(result["wall_time_s"])


def test_the_table_names_every_scenario(smoke_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    done, result = smoke_run
    for scenario in result["scenarios"]:
        line = next(line for line in done.stdout.splitlines() if line.startswith(scenario["label"]))
        assert f"{scenario['median']['calls_per_s']:,.0f}" in line
    assert "run took" in done.stdout
