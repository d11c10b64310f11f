"""Throughput and latency of the reference proxy beside a bare grpc.aio server, from one run on one machine.

    python bench/run.py                      # everything, about two and a half minutes
    python bench/run.py --requests 50 --warmup 0 --entities 20 --repetitions 1   # a quick check

Scenarios run interleaved (baseline, proxies, baseline, ...) so that a slow
moment of the machine spreads over all of them rather than sinking one. Each
repetition is a fresh load generator process (loadgen.py) with its own
warm-up. Prints a table and writes everything, each repetition included, to
a JSON file. Nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import figures
import grpc
import servers
from children import HERE, script

#: key, label, server, port. The first is the baseline every ratio divides by.
SCENARIOS = (
    ("baseline", "grpc.aio echo (baseline)", "echo", "public"),
    ("memory", "proxy, in-memory store", "proxy-memory", "public"),
    ("memory-grpc-port", "proxy, in-memory, --grpc-port", "proxy-memory", "grpc"),
    ("postgresql", "proxy, PostgreSQL store", "proxy-postgresql", "public"),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1000, help="entity ids, drawn round-robin (default 1000)")
    parser.add_argument("--concurrency", type=int, default=16, help="calls in flight (default 16)")
    parser.add_argument("--warmup", type=float, default=1.5, help="least warm-up seconds per repetition (default 1.5)")
    measured = parser.add_mutually_exclusive_group()
    measured.add_argument("--duration", type=float, default=3.0, help="measured seconds per repetition (default 3)")
    measured.add_argument("--requests", type=int, help="measured calls per repetition, instead of --duration")
    parser.add_argument("--repetitions", type=int, default=5, help="runs per scenario; figures are medians (default 5)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json", help="JSON results file")
    return parser.parse_args(argv)


def load(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """One repetition: the load generator in a process of its own, its JSON report."""
    command = [sys.executable, script("loadgen.py"), "--target", target, "--entities", str(args.entities)]
    command += ["--concurrency", str(args.concurrency), "--warmup", str(args.warmup)]
    command += ["--requests", str(args.requests)] if args.requests is not None else ["--duration", str(args.duration)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}) against {target}:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def measure(args: argparse.Namespace, logs: Path) -> list[dict[str, Any]]:
    """Start the servers, run every scenario ``--repetitions`` times interleaved, read peak memory, stop."""
    with contextlib.ExitStack() as stack:
        running = {
            "echo": servers.start_echo(stack, logs),
            "proxy-memory": servers.start_proxy(stack, logs, "proxy-memory", "memory"),
            "proxy-postgresql": servers.start_proxy(stack, logs, "proxy-postgresql", servers.start_postgres(stack)),
        }
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key, *_ in SCENARIOS}
        for _ in range(args.repetitions):
            for key, _label, server, port in SCENARIOS:
                runs[key].append(load(f"127.0.0.1:{running[server].ports[port]}", args))
        summary = figures.summarise([(key, label) for key, label, *_ in SCENARIOS], runs, baseline=SCENARIOS[0][0])
        for record, (_key, _label, server, _port) in zip(summary, SCENARIOS, strict=True):
            record["server_peak_rss_mib"] = running[server].child.peak_rss_mib()
            user_function = running[server].user_function
            record["user_function_peak_rss_mib"] = user_function.peak_rss_mib() if user_function else None
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, clock = datetime.datetime.now(datetime.UTC), time.monotonic()
    load_before = os.getloadavg()
    scenarios = measure(args, args.output.parent / "logs")
    wall = time.monotonic() - clock
    config = {k: v for k, v in vars(args).items() if k != "output"}
    result = {
        "started_at": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "python": platform.python_version(),
            "grpcio": grpc.__version__,
            "platform": platform.platform(),
        },
        "config": {**config, "measured": "requests" if args.requests is not None else "duration"},
        "scenarios": scenarios,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    per_rep = f"{args.requests} calls" if args.requests is not None else f"{args.duration:g} s"
    sys.stdout.write(
        f"{args.entities} entities round-robin, {args.concurrency} calls in flight, {per_rep} measured after"
        f" >= {args.warmup:g} s warm-up, median of {args.repetitions}; load generator: grpc.aio in its own process\n\n"
        f"{figures.table(scenarios)}\n\n"
        f"run took {wall:.0f} s on {os.cpu_count()} CPUs (load average before: {load_before[0]:.1f});"
        f" results in {args.output}\n"
    )
    errors = sum(s["errors"] for s in scenarios)
    if errors:
        sys.stderr.write(f"{errors} calls failed; the figures are not trustworthy (see first_error in the JSON)\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
