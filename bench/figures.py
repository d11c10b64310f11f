"""From the load generator's reports to figures: medians over repetitions, ratios to the baseline, the table.

Only medians are reported (the machines are shared and noisy), and every
proxy figure also appears as a ratio to the baseline measured in the same
run, which is the number to compare across runs and machines. Ratios are
always "scenario divided by baseline": below 1 for throughput means slower
than the bare gRPC server, above 1 for latency means slower as well.
"""

from __future__ import annotations

import statistics
from typing import Any

#: The figures that get a median and a ratio to the baseline.
HEADLINE = ("calls_per_s", "p50_ms", "p99_ms")


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in (*HEADLINE, "client_cpu")}


def ratios(median: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    return {key: median[key] / baseline[key] for key in HEADLINE}


def error_count(runs: list[dict[str, Any]]) -> int:
    return sum(sum(run["errors"].values()) for run in runs)


def summarise(
    scenarios: list[tuple[str, str]], runs: dict[str, list[dict[str, Any]]], baseline: str
) -> list[dict[str, Any]]:
    """One record per scenario (key, label) in order, with its runs, medians and ratios to ``baseline``."""
    base = medians(runs[baseline])
    summary = []
    for key, label in scenarios:
        median = medians(runs[key])
        summary.append(
            {
                "key": key,
                "label": label,
                "runs": runs[key],
                "median": median,
                "ratio_to_baseline": ratios(median, base),
                "errors": error_count(runs[key]),
            }
        )
    return summary


_COLUMNS = (
    ("scenario", "<"),
    ("calls/s", ">"),
    ("p50 ms", ">"),
    ("p99 ms", ">"),
    ("calls/s ÷ base", ">"),
    ("p50 ÷ base", ">"),
    ("p99 ÷ base", ">"),
    ("server peak RSS MiB", ">"),
    ("client CPU", ">"),
    ("errors", ">"),
)


def _row(scenario: dict[str, Any]) -> list[str]:
    median, ratio = scenario["median"], scenario["ratio_to_baseline"]
    return [
        scenario["label"],
        f"{median['calls_per_s']:,.0f}",
        f"{median['p50_ms']:.2f}",
        f"{median['p99_ms']:.2f}",
        f"{ratio['calls_per_s']:.3f}",
        f"{ratio['p50_ms']:.2f}",
        f"{ratio['p99_ms']:.2f}",
        f"{scenario['server_peak_rss_mib']:.0f}",
        f"{median['client_cpu']:.0%}",
        str(scenario["errors"]),
    ]


def table(scenarios: list[dict[str, Any]]) -> str:
    """A plain-text table, one line per scenario, columns aligned."""
    rows = [[name for name, _ in _COLUMNS], *(_row(s) for s in scenarios)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for number, row in enumerate(rows):
        cells = [f"{cell:{align}{width}}" for cell, (_, align), width in zip(row, _COLUMNS, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
