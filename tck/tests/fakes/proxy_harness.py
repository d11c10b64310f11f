"""Running the proxy suites in a test: the interceptor and a proxy around the session's TCK model process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from hypothesis import HealthCheck, Phase, settings

from tck.checks import Recorder
from tck.proxy import Bounds, Interceptor, proxy_suites
from tck.suites import Endpoint, RunContext, Suite, SuiteResult
from tck.tests.fakes import proxy_stack
from tck.tests.fakes.proxy_stack import Process

# Enough programs to reach every rule of the proxy machines; derandomized, so that coverage never depends on luck.
PROXY_PASSING = settings(
    max_examples=8,
    stateful_step_count=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Catching a broken proxy: the fixed scenarios find most defects; a few programs more, without shrinking.
PROXY_CATCHING = settings(PROXY_PASSING, max_examples=10, phases=[Phase.generate])
# A 100 ms passivation that has not happened after 2 s is not going to happen.
BOUNDS = Bounds(passivation=2.0)
# Broken proxies: what is missing after 3 s is missing; the first failure is the verdict.
CATCHING_BOUNDS = Bounds(wait=3.0, passivation=2.0, fail_fast=True)


@contextlib.contextmanager
def interceptor(user_function: Process) -> Iterator[Interceptor]:
    icp = Interceptor(listen=Endpoint("127.0.0.1", 0), upstream=Endpoint("127.0.0.1", user_function.port))
    icp.start()
    try:
        yield icp
    finally:
        icp.stop()


@contextlib.contextmanager
def proxy(
    icp: Interceptor, store: str = "memory", defect: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[Process]:
    """A proxy (reference or broken) whose user function is the interceptor; ``env`` adds settings."""
    process = proxy_stack.proxy(icp.endpoint.port, store, defect, env)
    process.start()
    try:
        yield process
    finally:
        process.close()


def context(
    user_function: Process,
    icp: Interceptor,
    proxy_process: Process,
    settings_: settings,
    restartable: bool,
    replica: Process | None = None,
) -> RunContext:
    """A run context as the runner builds it; with ``restartable``, the suites may restart both processes.

    ``replica`` is a second proxy on the same store, in front of the same interceptor.
    """
    return RunContext(
        recorder=Recorder(),
        settings=settings_,
        user_function=Endpoint("127.0.0.1", user_function.port),
        proxy=Endpoint("127.0.0.1", proxy_process.port),
        interceptor=icp.endpoint,
        proxy_process=proxy_process if restartable else None,
        user_function_process=user_function if restartable else None,
        replica=Endpoint("127.0.0.1", replica.port) if replica is not None else None,
    )


def suite(name: str, bounds: Bounds = BOUNDS) -> Suite:
    return next(s for s in proxy_suites(bounds) if s.name == name)


def describe(result: SuiteResult) -> str:
    lines = [f"{result.name}: {result.examples} examples, error {result.error}"]
    for failure in result.failures:
        lines += [f"- {failure.message}", failure.program, *failure.transcript[-30:]]
    return "\n".join(lines)
