"""Running the TCK's command line in-process against the fake user function started as a command.

Runs are small (few, short programs) and seeded, so that the tests are quick
and what they assert was covered always is.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from tck import cli

NAME = "fake"
SMALL = ["--seed", "7", "--max-examples", "8", "--max-steps", "12", "--quiet"]


def fake_command(*args: str) -> str:
    """The fake user function as the runner starts it: on ``{port}``, until SIGTERM."""
    return shlex.join([sys.executable, "-m", "tck.tests.fakes.fake_server", *args]) + " --port {port}"


def run_tck(report_dir: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``python -m tck run`` with ``args``; return the exit status and the JSON report."""
    status = cli.main(["run", "--report-dir", str(report_dir), "--name", NAME, *SMALL, *args])
    report: dict[str, Any] = json.loads((report_dir / f"tck-{NAME}.json").read_text(encoding="utf-8"))
    return status, report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {rid: entry["status"] for rid, entry in report["requirements"].items()}


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (read from /proc; zombies do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
