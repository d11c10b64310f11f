"""The interceptor's rewrite hook: the TCK replaces user-function messages before the proxy sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cloudstate import event_sourced_pb2

from tck.models import eventsourced as es
from tck.models.journal import Recovery
from tck.proxy.faults_forge import replies
from tck.proxy.interceptor import Interceptor
from tck.sdk.driver import UserFunction
from tck.suites import Endpoint
from tck.tests.fakes.proxy_stack import Process
from tck.wire import eventsourced as wire


@pytest.fixture
def icp(tck_model: Process) -> Iterator[Interceptor]:
    found = Interceptor(listen=Endpoint("127.0.0.1", 0), upstream=Endpoint("127.0.0.1", tck_model.port))
    found.start()
    assert found.wait_upstream_ready(10)
    yield found
    found.stop()


@pytest.fixture
def uf(icp: Interceptor) -> Iterator[UserFunction]:
    driver = UserFunction(icp.endpoint.target, timeout=30)
    yield driver
    driver.close()


def _replies(uf: UserFunction, entity: str, count: int) -> list[int]:
    """The command ids of the replies to ``count`` commands, as the caller of the user function gets them."""
    stream = uf.event_sourced()
    stream.send(*wire.init_messages(es.SERVICE, entity, Recovery[str](None, ())))
    got = []
    for command_id in range(1, count + 1):
        stream.send(wire.command(command_id, entity, "Process", wire.request(entity, [])))
        out = stream.receive()
        assert isinstance(out, event_sourced_pb2.EventSourcedStreamOut)
        got.append(out.reply.command_id)
    stream.cancel()
    return got


def _renumber(out: Any) -> Any:
    out.reply.command_id += 100
    return out


def test_the_next_matching_reply_is_replaced_once(icp: Interceptor, uf: UserFunction) -> None:
    mark = icp.mark()
    rewrite = icp.rewrite(replies(es.SERVICE, "once"), _renumber)
    assert _replies(uf, "once", 2) == [101, 2]
    assert rewrite.applied == 1
    forged = [r for r in icp.records(mark) if r.kind == "out" and r.note.startswith("forged by the TCK")]
    assert len(forged) == 1  # the log holds what the proxy got, the note what the user function sent
    assert "command_id: 1 " in forged[0].note


def test_an_unbounded_rewrite_applies_until_removed(icp: Interceptor, uf: UserFunction) -> None:
    rewrite = icp.rewrite(replies(es.SERVICE, "always"), _renumber, times=None)
    assert _replies(uf, "always", 2) == [101, 102]
    icp.unrewrite(rewrite)
    assert _replies(uf, "always", 1) == [1]
    assert _replies(uf, "other", 1) == [1]  # it never matched another entity
