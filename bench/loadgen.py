"""The load generator: a grpc.aio client in a process of its own, reporting one JSON line.

    python bench/loadgen.py --target 127.0.0.1:9000 --entities 1000 --concurrency 16 --warmup 2 --duration 5

``--concurrency`` workers share one channel (one HTTP/2 connection) and keep
that many calls in flight, each taking the next entity round-robin. A
warm-up phase runs first and is left out of every figure: it lasts at least
``--warmup`` seconds and at least one call per entity, so that every entity
is already active (its stream open, its journal read) when measuring starts.
The measured phase is then either ``--requests`` calls or ``--duration``
seconds. Latency is measured per call from just before it is issued until
its response arrives; calls that fail are counted by status code and are not
in the latency figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import grpc
from workload import METHOD, request_bodies

#: Generous: a call this slow is a failure to report, not a latency to average.
CALL_TIMEOUT_S = 30.0

Call = Callable[..., Awaitable[bytes]]


@dataclasses.dataclass
class Phase:
    """When a phase ends: after ``at_most`` calls, or once ``at_least`` calls were issued and ``until`` has passed."""

    at_least: int = 0
    at_most: int | None = None
    until: float = 0.0

    def done(self, issued: int) -> bool:
        if self.at_most is not None and issued >= self.at_most:
            return True
        return issued >= self.at_least and time.perf_counter() >= self.until


@dataclasses.dataclass
class Outcome:
    latencies: list[float] = dataclasses.field(default_factory=list)
    errors: Counter[str] = dataclasses.field(default_factory=Counter)
    first_error: str = ""


async def run_phase(call: Call, bodies: list[bytes], order: Iterator[int], concurrency: int, phase: Phase) -> Outcome:
    outcome = Outcome()
    issued = itertools.count()

    async def worker() -> None:
        while not phase.done(next(issued)):
            body = bodies[next(order) % len(bodies)]
            start = time.perf_counter()
            try:
                await call(body, timeout=CALL_TIMEOUT_S)
            except grpc.aio.AioRpcError as error:
                outcome.errors[error.code().name] += 1
                outcome.first_error = outcome.first_error or f"{error.code().name}: {error.details()}"
                continue
            outcome.latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcome


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    bodies = request_bodies(args.entities)
    order = itertools.count()  # shared by both phases: measuring continues the round-robin
    async with grpc.aio.insecure_channel(args.target) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
        call: Call = channel.unary_unary(METHOD)  # no serializers: bytes in, bytes out
        warmup = await run_phase(
            call, bodies, order, args.concurrency, Phase(at_least=len(bodies), until=time.perf_counter() + args.warmup)
        )
        if args.requests is not None:
            phase = Phase(at_least=args.requests, at_most=args.requests)
        else:
            phase = Phase(until=time.perf_counter() + args.duration)
        cpu_before, started = time.process_time(), time.perf_counter()
        measured = await run_phase(call, bodies, order, args.concurrency, phase)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    latencies = sorted(measured.latencies)
    ok = len(latencies)
    return {
        "warmup_calls": len(warmup.latencies) + sum(warmup.errors.values()),
        "calls": ok,
        "errors": dict(measured.errors + warmup.errors),
        "first_error": measured.first_error or warmup.first_error,
        "elapsed_s": elapsed,
        "calls_per_s": ok / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000 if ok else 0.0,
        "p99_ms": percentile(latencies, 0.99) * 1000 if ok else 0.0,
        "max_ms": latencies[-1] * 1000 if ok else 0.0,
        "client_cpu": cpu / elapsed if elapsed > 0 else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="host:port of the gRPC server")
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="calls in flight")
    parser.add_argument("--warmup", type=float, default=2.0, help="least warm-up seconds (left out of the figures)")
    measured = parser.add_mutually_exclusive_group()
    measured.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    measured.add_argument("--requests", type=int, help="measured calls (instead of --duration)")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(asyncio.run(measure(args))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
