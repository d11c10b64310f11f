"""The JSON report: every requirement by ID with its status and evidence, and the run around it.

Its format is published as a JSON Schema (``tck-report.schema.json`` beside
this module, copied into the report folder's ``schema/`` by every run) and
documented in the repository's ``reports/README.md``. A report is validated
against the schema before it is written, so a report that exists conforms.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from tck.outcome import RunReport
from tck.results import RequirementResult
from tck.suites import Failure

FORMAT = "cloudstate-tck-report/1"
SCHEMA_NAME = "tck-report.schema.json"


def schema_text() -> str:
    return resources.files("tck.reporting").joinpath(SCHEMA_NAME).read_text("utf-8")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def _failure(failure: Failure) -> dict[str, Any]:
    return {
        "requirements": list(failure.requirements),
        "message": failure.message,
        "program": failure.program,
        "transcript": list(failure.transcript),
        "seed": failure.seed,
    }


def _requirement(report: RunReport, result: RequirementResult) -> dict[str, Any]:
    r = result.requirement
    failure = result.failure
    return {
        "status": result.status,
        "level": r.level,
        "binds": r.binds,
        "capability": r.capability,
        "section": r.section,
        "heading": r.heading,
        "statement": r.statement,
        "link": report.spec_link(result),
        "reason": result.reason,
        "observed": result.observed,
        "examples": result.examples,
        "checks": [
            {
                "name": c.name,
                "summary": c.summary,
                "passed": c.passed,
                "failed": c.failed,
                "advisory": c.advisory,
                "examples": c.examples,
                "suites": list(c.suites),
            }
            for c in result.checks
        ],
        "failure": None
        if failure is None
        else {
            "message": failure.message,
            "suite": failure.suite,
            "seed": failure.seed,
            "program": failure.program,
            "transcript": list(failure.transcript),
        },
    }


def as_json(report: RunReport) -> dict[str, Any]:
    """The report as JSON data (see the schema for every field)."""
    return {
        "format": FORMAT,
        "name": report.name,
        "outcome": report.outcome,
        "exit_status": report.exit_status,
        "error": report.error,
        "tck_version": report.tck_version,
        "spec_version": report.spec_version,
        "profile": report.profile,
        "seed": report.seed,
        "started": report.started.isoformat(timespec="seconds"),
        "duration_seconds": round(report.duration, 3),
        "directions": list(report.directions),
        "spec_url": report.spec_url,
        "implementation": {"user_function": report.user_function, "proxy": report.proxy},
        "sides": [
            {"role": s.role, "address": s.address, "command": s.command, "log": s.log_path, "log_tail": s.log_tail}
            for s in report.sides
        ],
        "summary": report.summary,
        "suites": [
            {
                "name": s.name,
                "direction": s.direction,
                "capability": s.capability,
                "status": s.status,
                "examples": s.examples,
                "checks": s.checks,
                "duration_seconds": round(s.duration, 3),
                "reason": s.reason,
                "requirements": list(s.requirements),
                "failures": [_failure(f) for f in s.failures],
            }
            for s in report.suites
        ],
        "requirements": {r.requirement.id: _requirement(report, r) for r in report.requirements},
    }


def write(report: RunReport, directory: Path) -> Path:
    """Validate and write ``tck-<name>.json``, and publish the schema beside it in ``schema/``."""
    data = as_json(report)
    jsonschema.validate(data, schema())
    published = directory / "schema" / SCHEMA_NAME
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(schema_text(), encoding="utf-8")
    path = directory / f"tck-{report.name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


__all__ = ["FORMAT", "SCHEMA_NAME", "as_json", "schema", "schema_text", "write"]
