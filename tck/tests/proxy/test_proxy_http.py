"""The ``proxy/http`` suite against the reference proxy, and against variants of it with one HTTP defect each."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from cloudstate_protocol.requirements import load_registry

from tck.checks import Check
from tck.proxy import Interceptor, checks, http_checks
from tck.tests.fakes.proxy_harness import (
    CATCHING_BOUNDS,
    PROXY_CATCHING,
    PROXY_PASSING,
    context,
    describe,
    interceptor,
    proxy,
    suite,
)
from tck.tests.fakes.proxy_stack import Process

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_proxy") is None, reason="the reference proxy is not installed"
)

COVERED = {
    *("HTTP-001", "HTTP-002", "HTTP-003", "HTTP-005", "HTTP-006", "HTTP-007", "HTTP-009", "HTTP-011", "HTTP-013"),
    *("HTTP-016", "HTTP-017", "HTTP-018", "HTTP-021", "HTTP-029", "HTTP-030", "HTTP-034", "HTTP-035", "HTTP-036"),
    *("HTTP-040", "HTTP-041", "HTTP-042", "HTTP-043", "HTTP-046", "HTTP-047", "HTTP-048", "HTTP-049", "HTTP-050"),
    *("HTTP-051", "HTTP-052", "HTTP-053", "HTTP-054", "HTTP-065"),
}
CASES = [
    # (defect of tck.tests.fakes.broken_http_proxy, a requirement the suite's failure must name)
    ("error-without-code", "HTTP-050"),
    ("not-found-for-wrong-method", "HTTP-065"),
    ("sse-without-error-event", "HTTP-047"),
    ("not-acceptable", "HTTP-041"),
    ("h2c-to-grpc", "HTTP-003"),
]


def test_the_checks_name_binding_requirements() -> None:
    """As tck/tests/proxy/test_proxy_checks.py does for tck.proxy.checks: real IDs, binding the proxy, MUST level."""
    registry = {r.id: r for r in load_registry()}
    ours = [v for v in vars(http_checks).values() if isinstance(v, Check)]
    theirs = {v.name for v in vars(checks).values() if isinstance(v, Check)}
    assert len({c.name for c in ours}) == len(ours)
    assert not theirs & {c.name for c in ours}
    for check in ours:
        found = [registry[rid] for rid in check.requirements]  # a KeyError names an unknown ID
        assert {r.binds for r in found} <= {"proxy", "both"}, check.name
        assert {r.level for r in found} & {"MUST", "MUST NOT"}, check.name


@pytest.fixture(scope="module")
def icp(tck_model: Process) -> Iterator[Interceptor]:
    with interceptor(tck_model) as found:
        yield found


def test_the_reference_proxy_passes(tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp) as process:
        ctx = context(tck_model, icp, process, PROXY_PASSING, restartable=False)
        result = suite("proxy/http").run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    passed = {rid for rid, status in ctx.recorder.by_requirement().items() if status == "passed"}
    assert passed >= COVERED, sorted(COVERED - passed)


@pytest.mark.parametrize(("defect", "requirement"), CASES, ids=[c[0] for c in CASES])
def test_the_defect_is_caught(defect: str, requirement: str, tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp, defect=defect) as process:
        ctx = context(tck_model, icp, process, PROXY_CATCHING, restartable=False)
        result = suite("proxy/http", CATCHING_BOUNDS).run(ctx)
    assert result.error is None, describe(result)
    assert any(requirement in failure.requirements for failure in result.failures), describe(result)
