"""``proxy/faults`` against the reference proxy, and against variants of it that mishandle a bad user function.

The reference proxy must pass and have the suite's requirements marked
passed; each variant (``tck.tests.fakes.broken_fault_proxy``) must fail,
naming the requirement it breaks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from tck.proxy import Interceptor
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
    *("FAIL-030", "FAIL-031", "FAIL-032", "FAIL-033", "FAIL-034", "FAIL-035", "FAIL-036", "ES-053", "VE-034"),
    *("CMD-016", "CMD-018", "CMD-020", "CMD-021", "FAIL-008", "FAIL-009", "FAIL-019", "FAIL-020", "FAIL-023"),
    *("FAIL-025", "FAIL-053", "FAIL-054", "FAIL-055", "ACT-019", "FX-017", "FX-018", "FX-019", "FX-021"),
    *("FX-023", "FX-026", "FX-027", "FX-029", "KEY-021", "KEY-022"),
}
CASES = [
    # (defect, the requirement the suite's failure must name)
    ("failure-extras-kept", "FAIL-008"),  # a failure reply's state update is written
    ("violations-unreported", "FAIL-032"),  # no reportError on a protocol violation
    ("violation-fails-queued", "FAIL-035"),  # the queued command fails instead of going to a new stream
]


@pytest.fixture(scope="module")
def icp(tck_model: Process) -> Iterator[Interceptor]:
    with interceptor(tck_model) as found:
        yield found


def test_the_reference_proxy_passes(tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp) as process:
        ctx = context(tck_model, icp, process, PROXY_PASSING, restartable=False)
        result = suite("proxy/faults").run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    passed = {rid for rid, status in ctx.recorder.by_requirement().items() if status == "passed"}
    assert passed >= COVERED, sorted(COVERED - passed)


@pytest.mark.parametrize(("defect", "requirement"), CASES, ids=[c[0] for c in CASES])
def test_the_defect_is_caught(defect: str, requirement: str, tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp, defect=defect) as process:
        ctx = context(tck_model, icp, process, PROXY_CATCHING, restartable=False)
        result = suite("proxy/faults", CATCHING_BOUNDS).run(ctx)
    assert result.error is None, describe(result)
    assert any(requirement in failure.requirements for failure in result.failures), describe(result)
