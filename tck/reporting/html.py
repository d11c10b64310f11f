"""The HTML summary: one static, self-contained page (inline CSS, no scripts, nothing fetched).

A table per capability lists every requirement with an anchor (``#ES-012``),
its status in a coloured cell, and a link to the requirement in the published
specification (``<spec_url>/<page>.html#<ID>``); a failed requirement unfolds
its message, program and transcript.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from tck.outcome import RunReport
from tck.reporting.text import by_capability, clean, explanation
from tck.results import STATUSES, RequirementResult

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #d0d0d5; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f6; }
td.id { white-space: nowrap; font-family: ui-monospace, monospace; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f7f9; padding: 0.5em; margin: 0.3em 0; }
.status { font-weight: 600; white-space: nowrap; }
.s-passed { background: #d8f5dc; color: #0f5c1c; }
.s-failed, .s-error { background: #fbd9d7; color: #8a1410; }
.s-excluded { background: #fdf0c8; color: #6b4d00; }
.s-not-applicable, .s-not-run { background: #ececf0; color: #55555c; }
.s-untested { background: #e1ecfb; color: #1b3f73; }
tr:target { outline: 3px solid #5b8def; }
.note { color: #55555c; }
"""


def _e(text: object) -> str:
    return escape(clean(str(text)))


def _status(status: str) -> str:
    return f'<td class="status s-{status}">{_e(status)}</td>'


def _failure(result: RequirementResult) -> str:
    failure = result.failure
    if failure is None:
        return ""
    parts = [f"<pre>{_e(failure.message)}</pre>"]
    if failure.program:
        parts.append(f"<p>Program{f' (seed {failure.seed})' if failure.seed is not None else ''}:</p>")
        parts.append(f"<pre>{_e(failure.program)}</pre>")
    if failure.transcript:
        parts.append(
            f"<p>Transcript ({len(failure.transcript)} lines):</p><pre>{_e(chr(10).join(failure.transcript))}</pre>"
        )
    where = f" in {_e(failure.suite)}" if failure.suite else ""
    return f"<details><summary>failure{where}</summary>{''.join(parts)}</details>"


def _row(report: RunReport, result: RequirementResult) -> str:
    r = result.requirement
    rid = _e(r.id)
    checks = ", ".join(c.name for c in result.checks)
    evidence = f"{result.examples} examples; checks: {_e(checks)}" if result.checks else ""
    note = _e(explanation(result)) if result.status != "failed" else ""
    note = " ".join(part for part in (note, evidence) if part)
    return (
        f'<tr id="{rid}"><td class="id"><a href="#{rid}">{rid}</a></td>{_status(result.status)}'
        f"<td>{_e(r.level)}</td><td>{_e(r.binds)}</td>"
        f'<td>{_e(r.statement)}<div class="note">{note}</div>{_failure(result)}</td>'
        f'<td><a href="{escape(report.spec_link(result), quote=True)}">spec</a></td></tr>'
    )


def _header(report: RunReport) -> str:
    summary = report.summary
    meta = [
        (
            "outcome",
            f'<span class="status s-{"passed" if report.exit_status == 0 else "failed"}">{_e(report.outcome)}</span>',
        ),
        ("exit status", _e(report.exit_status)),
        ("profile / seed", f"{_e(report.profile)} / {_e(report.seed)}"),
        ("spec / TCK", f"{_e(report.spec_version)} / {_e(report.tck_version)}"),
        ("started", f"{_e(report.started.isoformat(timespec='seconds'))} ({report.duration:.1f} s)"),
    ]
    if report.user_function:
        meta.append(("user function", _e(", ".join(f"{k}: {v}" for k, v in report.user_function.items()))))
    if report.proxy:
        meta.append(("proxy", _e(", ".join(f"{k}: {v}" for k, v in report.proxy.items()))))
    meta += [(s.role, f"<code>{_e(s.command)}</code> at {_e(s.address)}") for s in report.sides]
    if report.error:
        meta.append(("error", f"<pre>{_e(report.error)}</pre>"))
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in meta)
    counts = "".join(f'<td class="status s-{s}">{_e(s)}: {summary[s]}</td>' for s in STATUSES)
    return f"<table>{rows}</table><table><tr>{counts}</tr></table>"


def _suites(report: RunReport) -> str:
    rows = "".join(
        f"<tr><td>{_e(s.name)}</td>{_status(s.status)}<td>{s.examples}</td><td>{s.checks}</td>"
        f"<td>{s.duration:.1f}</td><td>{f'<pre>{_e(s.reason)}</pre>' if s.reason else ''}</td></tr>"
        for s in report.suites
    )
    head = "<tr><th>suite</th><th>status</th><th>examples</th><th>checks</th><th>seconds</th><th>note</th></tr>"
    return f"<h2>Suites</h2><table>{head}{rows}</table>"


def render(report: RunReport) -> str:
    sections = []
    for capability, results in by_capability(list(report.requirements)).items():
        head = "<tr><th>requirement</th><th>status</th><th>level</th><th>binds</th><th>statement</th><th></th></tr>"
        rows = "".join(_row(report, r) for r in results)
        counts = ", ".join(f"{sum(r.status == s for r in results)} {s}" for s in STATUSES)
        sections.append(
            f'<section id="capability-{_e(capability)}"><h2>{_e(capability)}</h2>'
            f'<p class="note">{counts}</p><table>{head}{rows}</table></section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Cloudstate TCK: {_e(report.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Cloudstate TCK: {_e(report.name)}</h1>{_header(report)}{_suites(report)}{''.join(sections)}"
        "</body></html>\n"
    )


def write(report: RunReport, directory: Path) -> Path:
    path = directory / f"tck-{report.name}.html"
    path.write_text(render(report), encoding="utf-8")
    return path


__all__ = ["render", "write"]
