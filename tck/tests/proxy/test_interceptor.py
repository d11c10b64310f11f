"""The interceptor between the TCK's own proxy driver and the reference SDK's TCK model.

The SDK-direction machines pass through it unchanged (so it relays every
message, status and shape faithfully), and its log, gates and faults do what
the proxy suites rely on.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from cloudstate import action_pb2, event_sourced_pb2

from tck.checks import Recorder
from tck.machines import run
from tck.machines.action import ActionMachine
from tck.machines.eventsourced import EventSourcedMachine
from tck.machines.valueentity import ValueEntityMachine
from tck.models import eventsourced as es
from tck.models.effects import Call
from tck.models.journal import Recovery
from tck.proxy.calls import matching
from tck.proxy.interceptor import Interceptor, find
from tck.sdk.discovery import PROXY_INFO
from tck.sdk.driver import UserFunction
from tck.sdk.streams import Closed, Silence
from tck.suites import Endpoint
from tck.tests.fakes.harness import PASSING
from tck.tests.fakes.proxy_stack import Process
from tck.wire import eventsourced as wire


@pytest.fixture
def interceptor(tck_model: Process) -> Iterator[Interceptor]:
    icp = Interceptor(listen=Endpoint("127.0.0.1", 0), upstream=Endpoint("127.0.0.1", tck_model.port))
    icp.start()
    assert icp.wait_upstream_ready(10)
    yield icp
    icp.stop()


@pytest.fixture
def uf(interceptor: Interceptor) -> Iterator[UserFunction]:
    driver = UserFunction(interceptor.endpoint.target, timeout=30)
    yield driver
    driver.close()


@pytest.mark.parametrize("machine", [EventSourcedMachine, ValueEntityMachine, ActionMachine])
def test_the_sdk_machines_pass_through_it(
    machine: type[EventSourcedMachine | ValueEntityMachine | ActionMachine], uf: UserFunction
) -> None:
    rec = Recorder(excluded=frozenset({"FAIL-044"}))  # a known gap of the reference SDK (see test_reference_sdk)
    run(machine, uf, rec, PASSING)
    assert not rec.failed


def test_it_is_found_by_its_endpoint(interceptor: Interceptor) -> None:
    assert find(interceptor.endpoint) is interceptor
    assert find(Endpoint("127.0.0.1", 1)) is None


def test_it_records_both_directions_of_a_stream(interceptor: Interceptor, uf: UserFunction) -> None:
    mark = interceptor.mark()
    stream = uf.event_sourced()
    stream.send(*wire.init_messages(es.SERVICE, "rec", _nothing()))
    stream.send(wire.command(1, "rec", "Process", wire.request("rec", [es.Emit("A")])))
    reply = stream.receive()
    assert isinstance(reply, event_sourced_pb2.EventSourcedStreamOut)
    stream.half_close()
    assert stream.receive() == Closed(grpc.StatusCode.OK, "")
    records = interceptor.records(mark)
    ended = interceptor.wait_closed(records[0].stream, 10)
    assert ended is not None
    assert (ended.protocol, ended.service, ended.entity_id) == ("eventsourced", es.SERVICE, "rec")
    kinds = [r.kind for r in interceptor.messages(ended.id)]
    assert kinds == ["open", "in", "in", "out", "half-close", "end"]
    assert interceptor.messages(ended.id)[3].message == reply
    assert [r.seq for r in records] == sorted(r.seq for r in records)


def test_a_gate_holds_a_command_until_released(interceptor: Interceptor, uf: UserFunction) -> None:
    gate = interceptor.hold(matching([Call(es.SERVICE, "Process", "held")]))
    stream = uf.event_sourced()
    stream.send(*wire.init_messages(es.SERVICE, "held", _nothing()))
    stream.send(wire.command(1, "held", "Process", wire.request("held", [])))
    held = gate.wait_held(1, 10)
    assert held is not None
    assert isinstance(stream.receive(0.2), Silence)  # a held command gets no reply
    assert not [r for r in interceptor.messages(held[0].stream) if r.kind == "out"]
    gate.release(0)
    assert isinstance(stream.receive(), event_sourced_pb2.EventSourcedStreamOut)
    interceptor.drop(gate)
    stream.cancel()


def test_a_crash_ends_the_callers_side_with_internal(interceptor: Interceptor, uf: UserFunction) -> None:
    mark = interceptor.mark()
    stream = uf.event_sourced()
    stream.send(*wire.init_messages(es.SERVICE, "crash", _nothing()))
    info = interceptor.next_stream(es.SERVICE, "crash", mark, 10)
    assert info is not None
    assert interceptor.crash(info.id)
    ended = stream.receive()
    assert isinstance(ended, Closed)
    assert ended.code == grpc.StatusCode.INTERNAL
    assert interceptor.stream(info.id).end_kind == "crash"
    assert not interceptor.crash(info.id)


def test_an_injected_restart_marks_the_next_failure(interceptor: Interceptor, uf: UserFunction) -> None:
    interceptor.inject_restart(es.SERVICE, "restart")
    stream = uf.event_sourced()
    stream.send(*wire.init_messages(es.SERVICE, "restart", _nothing()))
    stream.send(wire.command(1, "restart", "Process", wire.request("restart", [es.Emit("A"), es.Fail("no")])))
    out = stream.receive()
    assert isinstance(out, event_sourced_pb2.EventSourcedStreamOut)
    assert out.reply.client_action.failure.restart
    stream.cancel()


def test_discovery_and_reports_are_captured(interceptor: Interceptor, uf: UserFunction) -> None:
    mark = interceptor.mark()
    spec = uf.discover(PROXY_INFO)
    assert uf.report_error("warning: from the test") is None
    (found,) = interceptor.discoveries(mark)
    assert (found[1], found[2]) == (PROXY_INFO, spec)
    assert interceptor.reported_errors(mark) == ["warning: from the test"]


def test_error_statuses_are_relayed(tck_model: Process, uf: UserFunction) -> None:
    command = action_pb2.ActionCommand(service_name="cloudstate.tck.model.action.NoSuchAction", name="ProcessUnary")
    direct = UserFunction(f"127.0.0.1:{tck_model.port}", timeout=30)
    try:
        assert uf.action_unary(command) == direct.action_unary(command)
    finally:
        direct.close()


def _nothing() -> Recovery[str]:
    return Recovery(None, ())
