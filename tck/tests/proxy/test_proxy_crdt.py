"""The proxy CRDT suite against the reference proxy: alone in memory, restartable over PostgreSQL, and with a replica.

The replica run starts two reference proxies on one PostgreSQL database, with
different replica ids, both in front of the same interceptor, so that the
replica rules (remote deltas, convergence, MAJORITY/ALL writes, Vote tallies,
a delete seen by the other proxy) are exercised. Besides passing, each run
must have exercised the requirements it exists for.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from tck.checks import Recorder
from tck.proxy import Interceptor
from tck.tests.fakes.proxy_harness import PROXY_PASSING, context, describe, interceptor, proxy, suite
from tck.tests.fakes.proxy_stack import Process

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_proxy") is None, reason="the reference proxy is not installed"
)

ALONE = {
    *("CRDT-003", "CRDT-004", "CRDT-006", "CRDT-010", "CRDT-011", "CRDT-012", "CRDT-013", "CRDT-014"),
    *("CRDT-015", "CRDT-026", "CRDT-029", "CRDT-033", "CRDT-036", "CRDT-038", "CRDT-040", "CRDT-042", "CRDT-047"),
    *("CRDT-048", "CRDT-052", "CRDT-053", "CRDT-057", "CRDT-058", "CRDT-060", "CRDT-077", "PASS-003", "PASS-007"),
    *("PASS-009", "CMD-002", "CMD-005", "CMD-017", "FX-005", "FX-006", "FX-007", "FX-015", "FX-025", "HTTP-043"),
    *("HTTP-049", "FAIL-004", "FAIL-005"),
}
REPLICATED = {"CRDT-005", "CRDT-028", "CRDT-039", "CRDT-075", "CRDT-VOTE-007", "CRDT-072"}
RESTARTED = {"CRDT-074"}
NEVER_ALONE = REPLICATED | RESTARTED


def passed(recorder: Recorder) -> set[str]:
    return {rid for rid, status in recorder.by_requirement().items() if status == "passed"}


@pytest.fixture(scope="module")
def icp(tck_model: Process) -> Iterator[Interceptor]:
    with interceptor(tck_model) as found:
        yield found


def test_the_reference_proxy_passes_alone(tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp) as process:
        ctx = context(tck_model, icp, process, PROXY_PASSING, restartable=False)
        result = suite("proxy/crdt").run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    assert passed(ctx.recorder) >= ALONE, sorted(ALONE - passed(ctx.recorder))
    assert not NEVER_ALONE & set(ctx.recorder.by_requirement()), "replica rules ran without a replica"


def test_the_reference_proxy_keeps_state_across_restarts(
    tck_model: Process, icp: Interceptor, durable_store: str
) -> None:
    if durable_store == "memory":
        pytest.skip("PostgreSQL is not installed")
    with proxy(icp, durable_store, env={"REPLICA_ID": "restarted"}) as process:
        ctx = context(tck_model, icp, process, PROXY_PASSING, restartable=True)
        result = suite("proxy/crdt").run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    assert passed(ctx.recorder) >= RESTARTED, sorted(RESTARTED - passed(ctx.recorder))


def test_the_reference_proxy_passes_with_a_replica(tck_model: Process, icp: Interceptor, durable_store: str) -> None:
    """Two proxies on the session's PostgreSQL database (a TemporaryPostgres, see tck/tests/conftest.py)."""
    if durable_store == "memory":
        pytest.skip("PostgreSQL is not installed")
    with (
        proxy(icp, durable_store, env={"REPLICA_ID": "proxy-a"}) as a,
        proxy(icp, durable_store, env={"REPLICA_ID": "proxy-b"}) as b,
    ):
        ctx = context(tck_model, icp, a, PROXY_PASSING, restartable=False, replica=b)
        result = suite("proxy/crdt").run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    assert passed(ctx.recorder) >= REPLICATED, sorted(REPLICATED - passed(ctx.recorder))
