"""The conformance matrix of several runs: ``matrix.json``, ``matrix.md`` and ``matrix.html``.

Rows are the pairs, columns the capabilities (requirement status counts of
that capability) and then the suites (each suite's status). Every row links to
its pair's own report, ``tck-<name>.html``, written beside the matrix.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tck.outcome import RunReport
from tck.results import STATUSES

FORMAT = "cloudstate-tck-matrix/1"
_SHORT = {"passed": "pass", "failed": "fail", "excluded": "excl", "not-applicable": "n/a", "untested": "untested"}


def _row(report: RunReport) -> dict[str, Any]:
    capabilities: dict[str, Counter[str]] = {}
    for result in report.requirements:
        capabilities.setdefault(result.requirement.capability, Counter())[result.status] += 1
    return {
        "name": report.name,
        "outcome": report.outcome,
        "exit_status": report.exit_status,
        "error": report.error,
        "report": f"tck-{report.name}.html",
        "json": f"tck-{report.name}.json",
        "capabilities": {cap: {s: found[s] for s in STATUSES if found[s]} for cap, found in capabilities.items()},
        "suites": {suite.name: suite.status for suite in report.suites},
    }


def matrix(reports: Sequence[RunReport]) -> dict[str, Any]:
    rows = [_row(report) for report in reports]
    capabilities = sorted({cap for row in rows for cap in row["capabilities"]})
    suites = list(dict.fromkeys(name for row in rows for name in row["suites"]))
    return {"format": FORMAT, "capabilities": capabilities, "suites": suites, "pairs": rows}


def _counts(cell: dict[str, int] | None) -> str:
    return " ".join(f"{n} {_SHORT[s]}" for s, n in (cell or {}).items()) or "-"


def markdown(data: dict[str, Any]) -> str:
    head = ["pair", "outcome", *data["capabilities"], *data["suites"]]
    lines = ["# TCK conformance matrix", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in data["pairs"]:
        cells = [f"[{row['name']}]({row['report']})", row["outcome"]]
        cells += [_counts(row["capabilities"].get(cap)) for cap in data["capabilities"]]
        cells += [row["suites"].get(suite, "-") for suite in data["suites"]]
        lines.append("| " + " | ".join(cells) + " |")
    errors = [f"- {row['name']}: {row['error']}" for row in data["pairs"] if row["error"]]
    return "\n".join(lines + (["", "Errors:", "", *errors] if errors else [])) + "\n"


_STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.passed,.pass{background:#d4f7d4}.failed,.error,.fail{background:#f7d4d4}.not-run,.not-applicable{background:#eee}"""


def _cell(text: str, status: str) -> str:
    return f'<td class="{html.escape(status)}">{html.escape(text)}</td>'


def page(data: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["pair", "outcome", *data["capabilities"], *data["suites"]])
    body = []
    for row in data["pairs"]:
        link = f'<td><a href="{html.escape(row["report"])}">{html.escape(row["name"])}</a></td>'
        cells = [link, _cell(row["outcome"], row["outcome"])]
        for cap in data["capabilities"]:
            cell = row["capabilities"].get(cap) or {}
            cells.append(_cell(_counts(cell), "fail" if cell.get("failed") else "pass" if cell.get("passed") else ""))
        cells += [_cell(row["suites"].get(s, "-"), row["suites"].get(s, "")) for s in data["suites"]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>TCK conformance matrix</title>'
        f"<style>{_STYLE}</style></head><body><h1>TCK conformance matrix</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></body></html>\n"
    )


def write_all(reports: Sequence[RunReport], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = matrix(reports)
    texts = {"matrix.json": json.dumps(data, indent=2) + "\n", "matrix.md": markdown(data), "matrix.html": page(data)}
    for name, text in texts.items():
        (directory / name).write_text(text, encoding="utf-8")
    return [directory / name for name in texts]


__all__ = ["FORMAT", "matrix", "write_all"]
