"""Fixed proxy scenarios: programs of the machines' steps that every run goes through, and exact exchanges.

The machines explore; these make sure that each run covers the situations the
spec is most precise about (a snapshot and a later event replayed after a
crash, a delete seen by the next init, synchronous and asynchronous effects
with a forward, ``Failure.restart``, passivation, process restarts), and
compare some exchanges message by message with expectations written out by
hand rather than derived from the models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from cloudstate import entity_pb2
from cloudstate import event_sourced_pb2 as es_pb
from cloudstate import value_entity_pb2 as ve_pb
from cloudstate.tck.model import eventsourced_pb2 as es_model
from cloudstate.tck.model import valueentity_pb2 as ve_model
from google.protobuf.message import Message

from tck.checks import Check
from tck.models import action, eventsourced, valueentity
from tck.proxy import checks, lifecycle
from tck.proxy.action import ProxyActionMachine
from tck.proxy.entity_faults import EntityFaults
from tck.proxy.eventsourced import ProxyEventSourcedMachine
from tck.proxy.harness import Harness
from tck.proxy.valueentity import ProxyValueEntityMachine
from tck.wire.common import pack

Scenario = Callable[[Harness], None]

ES_EXCHANGE = Check(
    "proxy.golden.es.replay",
    ("ES-012", "ES-016", "ES-017", "TRN-022", "CMD-003"),
    "after a crash: init with the snapshot of event 5, event 6, then command 1",
)
VE_EXCHANGE = Check(
    "proxy.golden.ve.reload",
    ("VE-008", "VE-022", "TRN-022", "CMD-003"),
    "after a delete and a crash: init without value",
)


def exchange(h: Harness, check: Check, stream: int, expected: Sequence[Message]) -> None:
    """The in messages of a stream, commands without their metadata, are exactly ``expected``."""
    sent = []
    for record in h.icp.messages(stream):
        if record.kind == "in" and record.message is not None:
            copy: Any = type(record.message)()
            copy.CopyFrom(record.message)
            if copy.WhichOneof("message") == "command":
                copy.command.ClearField("metadata")
            sent.append(copy)
    h.rec.expect(check, list(expected), sent, f"the messages the proxy sent on stream #{stream}")


def _command(entity: str, request: Message) -> entity_pb2.Command:
    return entity_pb2.Command(entity_id=entity, id=1, name="Process", payload=pack(request))


def es_snapshot_replayed_after_crash(h: Harness) -> None:
    m = ProxyEventSourcedMachine(h)
    for values in ("ABC", "DE", "F"):  # the snapshot comes with event 5
        m.process("s", [eventsourced.Emit(v) for v in values], "grpc")
    m.crash_stream("s")
    m.process("s", [], "http")
    entity = m.prefix + "s"
    init = es_pb.EventSourcedInit(service_name=eventsourced.SERVICE, entity_id=entity)
    init.snapshot.snapshot_sequence = 5
    init.snapshot.snapshot.CopyFrom(pack(es_model.Persisted(value="ABCDE")))
    event = es_pb.EventSourcedEvent(sequence=6, payload=pack(es_model.Persisted(value="F")))
    expected = [
        es_pb.EventSourcedStreamIn(init=init),
        es_pb.EventSourcedStreamIn(event=event),
        es_pb.EventSourcedStreamIn(command=_command(entity, es_model.Request(id=entity))),
    ]
    exchange(h, ES_EXCHANGE, m.live[entity], expected)
    m.teardown()


def ve_deleted_value_is_gone_after_crash(h: Harness) -> None:
    m = ProxyValueEntityMachine(h)
    m.process("d", [valueentity.Update("one")], "grpc")
    m.crash_stream("d")
    m.process("d", [valueentity.Delete()], "http")
    m.crash_stream("d")
    m.process("d", [], "grpc")
    entity = m.prefix + "d"
    init = ve_pb.ValueEntityInit(service_name=valueentity.SERVICE, entity_id=entity, state=ve_pb.ValueEntityInitState())
    expected = [
        ve_pb.ValueEntityStreamIn(init=init),
        ve_pb.ValueEntityStreamIn(command=_command(entity, ve_model.Request(id=entity))),
    ]
    exchange(h, VE_EXCHANGE, m.live[entity], expected)
    m.teardown()


def _entity_scenarios(machine: type[EntityFaults], model: Any, change: Any) -> dict[str, Scenario]:
    """What both entity types go through: effects with a forward, a restart, passivation, the public routes."""

    def effects_and_forward_in_order(h: Harness) -> None:
        m = machine(h)
        effects = [model.Effect("x", True), model.Effect("y", False), model.Effect("z", True)]
        m.process("o", [change, *effects, model.Forward("t")], "grpc")
        m.process("o", [model.Effect("w", False), change], "http")
        m.teardown()

    def restart_after_failure(h: Harness) -> None:
        m = machine(h)
        m.process("r", [change], "grpc")
        m.process("r", [change, model.Fail("no")], "grpc", restart=True)
        m.process("r", [], "grpc")
        m.teardown()

    def passivation_and_reactivation(h: Harness) -> None:
        m = machine(h)
        m.passivate_configured("p")
        m.passivate_configured("p")
        m.teardown()

    def keys_and_routes(h: Harness) -> None:
        m = machine(h)
        mark = h.icp.mark()
        answer = h.client.unary(machine.SERVICE, "Process", m.request("", ()))
        sent = [r for r in h.icp.records(mark) if r.kind == "open"]
        h.rec.expect(checks.MISSING_KEY, (grpc.StatusCode.INVALID_ARGUMENT, 0), (answer.code, len(sent)))
        nul_entity_id(h, machine.SERVICE, m.prefix + "n\x00l", m.request(m.prefix + "n\x00l", ()))
        path = f"/{machine.TWO}/Call"
        answer = h.client.post(path, {"id": m.prefix + "two"}, type(m.response(""))).result(h.bounds.wait)
        h.rec.expect(checks.HTTP_DEFAULT_ROUTE, (200, [m.response("")]), (answer.http_status, list(answer.messages)))
        answer = h.client.post("/tck/model/no/such/path", {}, type(m.response(""))).result(h.bounds.wait)
        h.rec.expect(checks.HTTP_UNKNOWN_PATH, (404, 12), (answer.http_status, answer.code.value[0]))
        answer = h.client.raw_unary(f"/{machine.SERVICE}/NoSuchMethod", b"")
        h.rec.expect(checks.UNKNOWN_METHOD, grpc.StatusCode.UNIMPLEMENTED, answer.code)
        m.teardown()

    scenarios = [effects_and_forward_in_order, restart_after_failure, passivation_and_reactivation, keys_and_routes]
    return {s.__name__: s for s in scenarios}


def nul_entity_id(h: Harness, service: str, entity: str, request: Message) -> None:
    """KEY-023 lets a proxy refuse NUL in an entity id; if it serves the id instead, it must keep it intact."""
    mark = h.icp.mark()
    answer = h.client.unary(service, "Process", request)
    opened = [h.icp.stream(r.stream).entity_id for r in h.icp.records(mark) if r.kind == "open" and r.stream]
    if answer.ok:
        h.rec.expect(checks.NUL_KEY, [entity], opened, "the entity ids of the streams the call opened")
        return
    refused = answer.code == grpc.StatusCode.INVALID_ARGUMENT and "NUL" in answer.details.upper() and not opened
    h.rec.require(checks.NUL_KEY, refused, f"the call ended {answer.describe()} and opened streams for {opened!r}")


def _restart_scenarios(machine: type[EntityFaults], change: Any) -> dict[str, Scenario]:
    """Process restarts between commands: each entity must come back as the store has it."""

    def user_function_restart(h: Harness) -> None:
        if h.ctx.user_function_process is None:
            return
        m = machine(h)
        m.process("u", [change], "grpc")
        lifecycle.restart_user_function(h)
        m.forget_streams()
        m.process("u", [], "grpc")
        m.teardown()

    def proxy_restart(h: Harness) -> None:
        if h.ctx.proxy_process is None:
            return
        m = machine(h)
        for _ in range(6):
            m.process("q", [change], "grpc")
        lifecycle.restart_proxy(h)
        m.forget_streams()
        m.process("q", [], "grpc")
        m.teardown()

    return {"user_function_restart": user_function_restart, "proxy_restart": proxy_restart}


def action_unary_effects_in_order(h: Harness) -> None:
    m = ProxyActionMachine(h)
    steps = (action.Effect("a", True), action.Effect("b", False), action.Reply("r"), action.Effect("c", True))
    m.unary((steps,), "grpc")
    m.unary(((action.Effect("d", True), action.Fail("f")),), "http")
    m.teardown()


def action_streams(h: Harness) -> None:
    m = ProxyActionMachine(h)
    m.streamed_in([])
    stop = ((action.Reply("one"),), (action.Effect("e", False), action.Fail("stop")), (action.Effect("g", True),))
    m.streamed_out(stop)
    call = m.open_duplex()
    m.duplex_request(call, ((action.Forward("t"),), (), (action.Reply("two"),)))
    m.duplex_request(call, ((action.Fail("end"),),))
    m.teardown()


ES_SCENARIOS: dict[str, Scenario] = {
    "snapshot_replayed_after_crash": es_snapshot_replayed_after_crash,
    **_entity_scenarios(ProxyEventSourcedMachine, eventsourced, eventsourced.Emit("A")),
    **_restart_scenarios(ProxyEventSourcedMachine, eventsourced.Emit("A")),
}
VE_SCENARIOS: dict[str, Scenario] = {
    "deleted_value_is_gone_after_crash": ve_deleted_value_is_gone_after_crash,
    **_entity_scenarios(ProxyValueEntityMachine, valueentity, valueentity.Update("A")),
    **_restart_scenarios(ProxyValueEntityMachine, valueentity.Update("A")),
}
ACTION_SCENARIOS: dict[str, Scenario] = {
    "unary_effects_in_order": action_unary_effects_in_order,
    "streams": action_streams,
}
