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
    ("crdt-applied-twice", "proxy/crdt", "CRDT-026"),  # a counter's increment counted twice
    ("crdt-echo", "proxy/crdt", "CRDT-003"),  # the user function gets its own delta back
    ("crdt-delete-kept", "proxy/crdt", "CRDT-033"),  # no tombstone: the stream and the entity live on
    ("crdt-no-stream-cancelled", "proxy/crdt", "CRDT-057"),
    ("crdt-passivate-open", "proxy/crdt", "PASS-009"),  # passivated with a streamed call open
]
# Defects that only a proxy with a replica shows (two proxies on one PostgreSQL database).
REPLICA_CASES = [("crdt-alone", "proxy/crdt", "CRDT-VOTE-007")]  # a Vote that does not count the other proxy


@pytest.fixture(scope="module")
def icp(tck_model: Process) -> Iterator[Interceptor]:
    with interceptor(tck_model) as found:
        yield found


@pytest.mark.parametrize(("defect", "name", "requirement"), CASES, ids=[c[0] for c in CASES])
def test_the_defect_is_caught(defect: str, name: str, requirement: str, tck_model: Process, icp: Interceptor) -> None:
    from tck.tests.fakes.broken_proxy import ENV  # imports the reference proxy

    with proxy(icp, defect=defect, env=ENV.get(defect)) as process:
        result = suite(name, CATCHING_BOUNDS).run(context(tck_model, icp, process, PROXY_CATCHING, restartable=False))
    assert result.error is None, describe(result)
    assert any(requirement in failure.requirements for failure in result.failures), describe(result)


@pytest.mark.parametrize(("defect", "name", "requirement"), REPLICA_CASES, ids=[c[0] for c in REPLICA_CASES])
def test_the_replica_defect_is_caught(
    defect: str, name: str, requirement: str, tck_model: Process, icp: Interceptor, durable_store: str
) -> None:
    if durable_store == "memory":
        pytest.skip("PostgreSQL is not installed")
    with (
        proxy(icp, durable_store, defect, {"REPLICA_ID": "broken-a"}) as a,
        proxy(icp, durable_store, defect, {"REPLICA_ID": "broken-b"}) as b,
    ):
        ctx = context(tck_model, icp, a, PROXY_CATCHING, restartable=False, replica=b)
        result = suite(name, CATCHING_BOUNDS).run(ctx)
    assert result.error is None, describe(result)
    assert any(requirement in failure.requirements for failure in result.failures), describe(result)
