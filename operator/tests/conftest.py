"""Fixtures: an emulated cluster (kmock) and the operator running against it in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

import aiohttp
import hypothesis
import kmock
import kopf
import pytest
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.handlers import register
from operator_harness import Cluster, Harness

# Hypothesis's per-example deadline measures wall-clock time, which says nothing
# on a loaded two-core CI machine; timing belongs in benchmarks (nox -s bench).
hypothesis.settings.register_profile("cloudstate", deadline=None)
hypothesis.settings.load_profile("cloudstate")

#: Short enough that retries after a missing dependency happen within a test.
RETRY_DELAY = 0.3


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster() as emulated, kmock.Server(emulated):
        emulated.declare()
        yield emulated


@pytest.fixture
def config(cluster: Cluster) -> OperatorConfig:
    return OperatorConfig(api_server=str(cluster.url).rstrip("/"), retry_delay=RETRY_DELAY, health_port=None)


@pytest.fixture
async def operator(cluster: Cluster, config: OperatorConfig) -> AsyncIterator[Harness]:
    """The operator (every handler, a fresh kopf registry) running until the test ends."""
    async with running_operator(config), aiohttp.ClientSession(base_url=config.api_server) as http:
        yield Harness(cluster, http)


@contextlib.asynccontextmanager
async def running_operator(config: OperatorConfig) -> AsyncIterator[None]:
    """Run the operator in a thread with its own event loop, as ``kopf run`` would.

    Not in the test's loop: when kopf stops it cancels every task that appeared
    in its loop after it started, which would include pytest's own.
    """
    registry = kopf.OperatorRegistry()
    register(registry, config)
    settings = kopf.OperatorSettings()
    settings.scanning.disabled = True  # the emulator serves no CustomResourceDefinitions to scan
    stop, ready = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(
                kopf.operator(
                    registry=registry,
                    settings=settings,
                    clusterwide=True,
                    standalone=True,
                    stop_flag=stop,
                    ready_flag=ready,
                )
            )
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    thread = threading.Thread(target=run, name="operator", daemon=True)
    thread.start()
    assert await asyncio.to_thread(ready.wait, 10), f"the operator did not start: {failures}"
    try:
        yield
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 30)
    assert not thread.is_alive(), "the operator did not stop"
    assert not failures, failures
