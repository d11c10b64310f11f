"""Deliberately broken variants of the reference proxy: the proxy suites must fail, naming the broken requirement.

Each variant (``tck.tests.fakes.broken_proxy``) patches one method of the
reference proxy; everything else stays correct.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from tck.proxy import Interceptor
from tck.tests.fakes.proxy_harness import (
    CATCHING_BOUNDS,
    PROXY_CATCHING,
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

CASES = [
    # (defect, the suite that must catch it, the requirement its failure must name)
    ("persist-late", "proxy/eventsourced", "FX-001"),  # the reply is released before the events are persisted
    ("ids-from-zero", "proxy/eventsourced", "CMD-002"),
    ("drop-async-effects", "proxy/action", "FX-025"),
    ("async-early", "proxy/eventsourced", "FX-007"),  # asynchronous side effects start before the reply
    ("sync-late", "proxy/valueentity", "FX-006"),  # synchronous side effects run after the reply
    ("forward-elsewhere", "proxy/eventsourced", "FX-015"),  # a forward to the wrong method
    ("delete-ignored", "proxy/valueentity", "VE-022"),
    ("never-passivate", "proxy/eventsourced", "PASS-003"),
]


@pytest.fixture(scope="module")
def icp(tck_model: Process) -> Iterator[Interceptor]:
    with interceptor(tck_model) as found:
        yield found


@pytest.mark.parametrize(("defect", "name", "requirement"), CASES, ids=[c[0] for c in CASES])
def test_the_defect_is_caught(defect: str, name: str, requirement: str, tck_model: Process, icp: Interceptor) -> None:
    with proxy(icp, defect=defect) as process:
        result = suite(name, CATCHING_BOUNDS).run(context(tck_model, icp, process, PROXY_CATCHING, restartable=False))
    assert result.error is None, describe(result)
    assert any(requirement in failure.requirements for failure in result.failures), describe(result)
