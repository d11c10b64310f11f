"""The JUnit XML report: one testsuite per TCK suite, one testcase per requirement.

A requirement appears once, in the first suite whose checks covered it;
requirements no suite covered (untested, not applicable) are grouped per
capability in testsuites named ``uncovered/<capability>`` and marked skipped,
as are excluded ones. A failed requirement carries a ``failure`` element with
the message, the program and the transcript.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tck.outcome import RunReport
from tck.reporting.text import clean, explanation, first_line
from tck.results import RequirementResult


def _home(result: RequirementResult, suites: list[str]) -> str:
    covering = [name for check in result.checks for name in check.suites]
    for name in suites:
        if name in covering:
            return name
    return f"uncovered/{result.requirement.capability}"


def _testcase(parent: ET.Element, suite: str, result: RequirementResult) -> None:
    r = result.requirement
    case = ET.SubElement(parent, "testcase", name=r.id, classname=suite.replace("/", "."), time="0")
    if result.status == "failed":
        failure = result.failure
        body = [clean(failure.message)] if failure else []
        if failure and failure.program:
            body += ["", "program:", clean(failure.program)]
        if failure and failure.transcript:
            body += ["", "transcript:", *map(clean, failure.transcript)]
        element = ET.SubElement(
            case, "failure", message=clean(first_line(failure.message if failure else "")), type=r.level
        )
        element.text = "\n".join(body)
    elif result.status != "passed":
        ET.SubElement(case, "skipped", message=clean(explanation(result)))
    ET.SubElement(case, "system-out").text = clean(f"{r.level} ({r.binds}): {r.statement}")


def render(report: RunReport) -> str:
    suites = [s.name for s in report.suites]
    homes: dict[str, list[RequirementResult]] = {name: [] for name in suites}
    for result in report.requirements:
        homes.setdefault(_home(result, suites), []).append(result)
    root = ET.Element("testsuites", name=f"cloudstate-tck {report.name}", time=f"{report.duration:.3f}")
    durations = {s.name: s.duration for s in report.suites}
    # A suite that stopped on an error, or a run that could not start, is one erroneous testcase more.
    errors = {s.name: s.reason or "" for s in report.suites if s.status == "error"}
    if report.error is not None:
        homes.setdefault("run", [])
        errors["run"] = report.error
    for name, results in homes.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(results) + (name in errors)),
            failures=str(sum(r.status == "failed" for r in results)),
            errors=str(int(name in errors)),
            skipped=str(sum(r.status not in ("passed", "failed") for r in results)),
            time=f"{durations.get(name, 0.0):.3f}",
            timestamp=report.started.isoformat(timespec="seconds"),
        )
        if name in errors:
            case = ET.SubElement(
                suite, "testcase", name="(the suite itself)", classname=name.replace("/", "."), time="0"
            )
            error = ET.SubElement(case, "error", message=clean(first_line(errors[name])), type="error")
            error.text = clean(errors[name])
        for result in results:
            _testcase(suite, name, result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(report: RunReport, directory: Path) -> Path:
    path = directory / f"tck-{report.name}.xml"
    path.write_text(render(report), encoding="utf-8")
    return path


__all__ = ["render", "write"]
