"""The proxy suites against the reference proxy, with the reference SDK's TCK model behind the interceptor.

The proxy keeps its state in PostgreSQL (when it is installed), so that the
suites may restart it; the user function is restarted too. Besides passing,
each suite must have exercised the requirements it exists for.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from tck.proxy import Interceptor
from tck.tests.fakes.proxy_harness import PROXY_PASSING, context, describe, interceptor, proxy, suite
from tck.tests.fakes.proxy_stack import Process

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_proxy") is None, reason="the reference proxy is not installed"
)

_EFFECTS = {"FX-005", "FX-006", "FX-007", "FX-008", "FX-015", "FX-016", "FX-025", "META-025", "META-026"}
_STREAMS = {"TRN-020", "TRN-022", "TRN-023", "CMD-001", "CMD-002", "CMD-003", "KEY-017", "FAIL-006", "FAIL-022"}
_CLIENT = {"CMD-017", "FAIL-004", "FAIL-005", "HTTP-036", "HTTP-053", "META-011", "META-013", "ANY-005", "ANY-006"}
_LIFECYCLE = {"PASS-003", "PASS-007", "PASS-012", "PASS-018", "KEY-015", "HTTP-006", "HTTP-016", "FAIL-048"}
COVERED = {
    "proxy/discovery": {"DISC-001", "DISC-002", "DISC-003", "TRN-013", "TRN-038", "DISC-053", "DISC-046"},
    "proxy/eventsourced": {
        *_EFFECTS,
        *_STREAMS,
        *_CLIENT,
        *_LIFECYCLE,
        *("ES-012", "ES-013", "ES-016", "ES-018", "ES-043", "ES-044", "ES-045", "ES-046", "CMD-008", "FX-001"),
    },
    "proxy/valueentity": {
        *_EFFECTS,
        *_STREAMS,
        *_CLIENT,
        *_LIFECYCLE,
        *("VE-008", "VE-009", "VE-022", "VE-027", "VE-028", "VE-029", "VE-030", "CMD-009"),
    },
    "proxy/action": {
        *("ACT-001", "ACT-005", "ACT-006", "ACT-007", "ACT-008", "ACT-013", "ACT-014", "ACT-015", "ACT-017"),
        *("ACT-021", "ACT-024", "ACT-025", "ACT-028", "ACT-029", "META-012", "TRN-029", "FX-015", "FX-016"),
    },
}


@pytest.fixture(scope="module")
def reference(tck_model: Process, durable_store: str) -> Iterator[tuple[Interceptor, Process]]:
    with interceptor(tck_model) as icp, proxy(icp, durable_store) as process:
        yield icp, process


@pytest.mark.parametrize("name", list(COVERED))
def test_the_reference_proxy_passes(
    name: str, reference: tuple[Interceptor, Process], tck_model: Process, durable_store: str
) -> None:
    icp, process = reference
    # Restarting the proxy is only fair when its store survives that.
    ctx = context(tck_model, icp, process, PROXY_PASSING, restartable=durable_store != "memory")
    result = suite(name).run(ctx)
    assert result.error is None, describe(result)
    assert not result.failures, describe(result)
    passed = {rid for rid, status in ctx.recorder.by_requirement().items() if status == "passed"}
    assert COVERED[name] <= passed, sorted(COVERED[name] - passed)
