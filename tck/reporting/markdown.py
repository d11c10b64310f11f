"""The Markdown summary: outcome, implementation, counts, suites, then every failure with its evidence."""

from __future__ import annotations

from pathlib import Path

from tck.outcome import RunReport
from tck.reporting.text import by_capability, first_line
from tck.results import STATUSES, RequirementResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str, language: str = "") -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [f"{fence}{language}", text, fence]


def _details(summary: str, text: str, language: str = "") -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *_fenced(text, language), "", "</details>", ""]


def _implementation(report: RunReport) -> list[str]:
    lines = []
    if report.user_function:
        info = report.user_function
        library = f"{info.get('support_library_name', '?')} {info.get('support_library_version', '')}".strip()
        runtime = f" on {info['service_runtime']}" if info.get("service_runtime") else ""
        lines.append(f"- User function: {library}{runtime}")
    if report.proxy:
        lines.append(f"- Proxy: {report.proxy.get('proxy_name', '?')} {report.proxy.get('proxy_version', '')}".rstrip())
    for side in report.sides:
        lines.append(f"- {side.role}: `{side.command}` at {side.address}")
    return lines


def _failure(report: RunReport, result: RequirementResult) -> list[str]:
    r = result.requirement
    lines = [f"### [{r.id}]({report.spec_link(result)}) ({r.level}, {r.binds}): {r.heading}", "", r.statement, ""]
    failure = result.failure
    if failure is None:
        return lines
    where = f" in `{failure.suite}`" if failure.suite else ""
    lines += [f"Failed{where}" + (f" (seed {failure.seed}):" if failure.seed is not None else ":"), ""]
    lines += _fenced(failure.message)
    lines.append("")
    if failure.program:
        lines += _details("Program", failure.program, "python")
    if failure.transcript:
        lines += _details(f"Transcript ({len(failure.transcript)} lines)", "\n".join(failure.transcript))
    return lines


def render(report: RunReport) -> str:
    summary = report.summary
    lines = [
        f"# Cloudstate TCK: {report.name}",
        "",
        f"**{report.outcome.upper()}** (exit status {report.exit_status}; failed MUST or MUST NOT requirements: "
        f"{summary['must-failed']}). Profile `{report.profile}`, seed `{report.seed}`, spec {report.spec_version}, "
        f"TCK {report.tck_version}, started {report.started.isoformat(timespec='seconds')}, "
        f"{report.duration:.1f} s, directions: {', '.join(report.directions) or 'none'}.",
        "",
    ]
    if report.error:
        lines += ["The run could not check everything:", "", *_fenced(report.error), ""]
    lines += [*_implementation(report), ""]
    lines += [
        "## Requirements",
        "",
        "| capability | " + " | ".join(STATUSES) + " |",
        "|---" * (len(STATUSES) + 1) + "|",
    ]
    for capability, results in by_capability(list(report.requirements)).items():
        counts = [sum(r.status == status for r in results) for status in STATUSES]
        lines.append(f"| {capability} | " + " | ".join(map(str, counts)) + " |")
    lines.append("| **all** | " + " | ".join(f"**{summary[s]}**" for s in STATUSES) + " |")
    lines += [
        "",
        "## Suites",
        "",
        "| suite | status | examples | checks | seconds | note |",
        "|---|---|---|---|---|---|",
    ]
    for suite in report.suites:
        note = _cell(first_line(suite.reason or "", 120))
        lines.append(
            f"| {suite.name} | {suite.status} | {suite.examples} | {suite.checks} | {suite.duration:.1f} | {note} |"
        )
    failed = [r for r in report.requirements if r.status == "failed"]
    if failed:
        lines += ["", f"## Failed requirements ({len(failed)})", ""]
        for result in failed:
            lines += _failure(report, result)
    excluded = [r for r in report.requirements if r.status == "excluded"]
    if excluded:
        lines += ["", f"## Excluded requirements ({len(excluded)})", ""]
        lines += [f"- **{r.requirement.id}**: {r.reason} (observed: {r.observed})" for r in excluded]
    lines += ["", f"Reproduce: `python -m tck run ... --profile {report.profile} --seed {report.seed}`", ""]
    return "\n".join(lines)


def write(report: RunReport, directory: Path) -> Path:
    path = directory / f"tck-{report.name}.md"
    path.write_text(render(report), encoding="utf-8")
    return path


__all__ = ["render", "write"]
