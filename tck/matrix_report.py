"""The conformance matrix of several runs: ``matrix.json``, ``matrix.md`` and ``matrix.html``.

Rows are the pairs. Three tables share them, so that none is too wide to read: columns by capability, by
requirement group (the ID's topic prefix, ``ES`` for ``ES-012`` and ``CRDT`` for ``CRDT-GSET-003``), each cell the
counts of requirement statuses, and by suite (each suite's status). Every cell links into its pair's own report,
``tck-<name>.html``, written beside the matrix: a capability to its section, a group to its first failed requirement
(else its first requirement), a suite and the pair's name to the report.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tck.outcome import RunReport
from tck.reporting.text import CAPABILITY_ORDER
from tck.results import STATUSES, RequirementResult

FORMAT = "cloudstate-tck-matrix/2"
_SHORT = {"passed": "pass", "failed": "fail", "excluded": "excl", "not-applicable": "n/a", "untested": "untested"}


def group_of(result: RequirementResult) -> str:
    return result.requirement.id.partition("-")[0]


def _cells(results: Sequence[RequirementResult], key: str) -> dict[str, dict[str, Any]]:
    found: dict[str, Counter[str]] = {}
    anchors: dict[str, str] = {}
    for result in results:
        name = result.requirement.capability if key == "capability" else group_of(result)
        found.setdefault(name, Counter())[result.status] += 1
        if name not in anchors or (result.status == "failed" and found[name]["failed"] == 1):
            anchors[name] = f"capability-{name}" if key == "capability" else result.requirement.id
    return {name: {"counts": {s: c[s] for s in STATUSES if c[s]}, "anchor": anchors[name]} for name, c in found.items()}


def _row(report: RunReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "outcome": report.outcome,
        "exit_status": report.exit_status,
        "error": report.error,
        "seed": report.seed,
        "report": f"tck-{report.name}.html",
        "json": f"tck-{report.name}.json",
        "markdown": f"tck-{report.name}.md",
        "capabilities": _cells(report.requirements, "capability"),
        "groups": _cells(report.requirements, "group"),
        "suites": {suite.name: suite.status for suite in report.suites},
    }


def matrix(reports: Sequence[RunReport]) -> dict[str, Any]:
    rows = [_row(report) for report in reports]
    found = {cap for row in rows for cap in row["capabilities"]}
    capabilities = [c for c in CAPABILITY_ORDER if c in found] + sorted(found - set(CAPABILITY_ORDER))
    # Groups in the order the registry lists them (every report lists every requirement in that order).
    groups = list(dict.fromkeys(group for row in rows for group in row["groups"]))
    suites = list(dict.fromkeys(name for row in rows for name in row["suites"]))
    return {"format": FORMAT, "capabilities": capabilities, "groups": groups, "suites": suites, "pairs": rows}


def _text(cell: dict[str, Any] | None) -> str:
    return " ".join(f"{n} {_SHORT[s]}" for s, n in (cell or {}).get("counts", {}).items()) or "-"


def _status(cell: dict[str, Any] | None) -> str:
    counts = (cell or {}).get("counts", {})
    return "failed" if counts.get("failed") else "passed" if counts.get("passed") else "none"


def _tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[tuple[str, str, str]]]]]:
    """(title, column names, per pair its cells as (text, status, link)) of each table, after the pair's own cells."""
    tables = []
    for title, kind in (("By capability", "capabilities"), ("By requirement group", "groups")):
        rows = []
        for row in data["pairs"]:
            cells = [row[kind].get(name) for name in data[kind]]
            rows.append(
                [(_text(c), _status(c), f"{row['report']}#{c['anchor']}" if c else row["report"]) for c in cells]
            )
        tables.append((title, data[kind], rows))
    suites = [
        [(r["suites"].get(s, "-"), r["suites"].get(s, "none"), r["report"]) for s in data["suites"]]
        for r in data["pairs"]
    ]
    return [*tables, ("By suite", data["suites"], suites)]


def markdown(data: dict[str, Any]) -> str:
    lines = ["# TCK conformance matrix"]
    for title, names, rows in _tables(data):
        lines += ["", f"## {title}", "", "| " + " | ".join(["pair", "outcome", *names]) + " |"]
        lines.append("|" + " --- |" * (len(names) + 2))
        for row, cells in zip(data["pairs"], rows, strict=True):
            head = [f"[{row['name']}]({row['report']})", f"{row['outcome']} ([md]({row['markdown']}))"]
            lines.append("| " + " | ".join(head + [f"[{text}]({link})" for text, _, link in cells]) + " |")
    errors = [f"- {row['name']}: {row['error'].splitlines()[0]}" for row in data["pairs"] if row["error"]]
    return "\n".join(lines + (["", "## Errors", "", *errors] if errors else [])) + "\n"


_STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;white-space:nowrap}td a{color:inherit}
.passed{background:#d4f7d4}.failed,.error{background:#f7d4d4}.not-run,.not-applicable,.none{background:#eee}"""


def _td(text: str, status: str, link: str) -> str:
    e = html.escape
    return f'<td class="{e(status)}"><a href="{e(link)}">{e(text)}</a></td>'


def page(data: dict[str, Any]) -> str:
    e = html.escape
    sections = []
    for title, names, rows in _tables(data):
        head = "".join(f"<th>{e(h)}</th>" for h in ["pair", "outcome", *names])
        body = []
        for row, cells in zip(data["pairs"], rows, strict=True):
            own = [_td(row["name"], "", row["report"]), _td(row["outcome"], row["outcome"], row["report"])]
            body.append("<tr>" + "".join(own + [_td(*cell) for cell in cells]) + "</tr>")
        sections.append(
            f"<h2>{e(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    errors = "".join(f"<h2>{e(r['name'])}</h2><pre>{e(r['error'])}</pre>" for r in data["pairs"] if r["error"])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>TCK conformance matrix</title>'
        f"<style>{_STYLE}</style></head><body><h1>TCK conformance matrix</h1>"
        f"{''.join(sections)}{errors}</body></html>\n"
    )


def write_all(reports: Sequence[RunReport], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = matrix(reports)
    texts = {"matrix.json": json.dumps(data, indent=2) + "\n", "matrix.md": markdown(data), "matrix.html": page(data)}
    for name, text in texts.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [directory / name for name in texts]


__all__ = ["FORMAT", "group_of", "matrix", "write_all"]
