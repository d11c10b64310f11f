"""CrdtTestKit: CRDT entities without a proxy, checked against the CRDT TCK model (spec/12-crdt.md)."""

from __future__ import annotations

import pytest
from cloudstate import crdt_pb2
from cloudstate.tck.model import crdt_pb2 as pb
from cloudstate_sdk import (
    CrdtContext,
    CrdtEntity,
    GCounter,
    HandlerError,
    Metadata,
    PayloadError,
    PNCounter,
    ProtocolError,
    Reply,
    SubscriptionContext,
    WriteConsistency,
)
from cloudstate_sdk.tck_model import crdt as crdt_model
from cloudstate_sdk.testing import CrdtTestKit

TWO = "cloudstate.tck.model.crdt.CrdtTwo"


def request(entity_id: str, *actions: pb.RequestAction) -> pb.Request:
    return pb.Request(id=entity_id, actions=actions)


def inc(n: int, consistency: pb.UpdateWriteConsistency.ValueType = pb.LOCAL) -> pb.RequestAction:
    return pb.RequestAction(update=pb.Update(pncounter=pb.PNCounterUpdate(change=n), write_consistency=consistency))


def pn(value: int) -> pb.Response:
    return pb.Response(state=pb.State(pncounter=pb.PNCounterValue(value=value)))


def test_reply_delta_consistency_forward_and_effects() -> None:
    kit = CrdtTestKit(crdt_model.model, "PNCounter-1")
    result = kit.handle("Process", request("PNCounter-1", inc(5), inc(-2, pb.MAJORITY)))
    assert (result.reply, result.command_id, result.state.value) == (pn(3), 1, 3)
    assert result.delta == crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=3))
    assert result.write_consistency == WriteConsistency.MAJORITY
    assert (result.streamed, result.deleted, result.streamed_messages) == (False, False, [])

    effect = pb.RequestAction(effect=pb.Effect(id="e", synchronous=True))
    forward = pb.RequestAction(forward=pb.Forward(id="f"))
    moved = kit.handle("Process", request("PNCounter-1", effect, forward))
    assert (moved.reply, moved.delta, moved.write_consistency, moved.command_id) == (None, None, None, 2)
    assert moved.forward is not None
    assert (moved.forward.ref.service_name, moved.forward.ref.method_name) == (TWO, "Call")
    assert moved.forward.message == pb.Request(id="f")
    assert [(e.call.ref.method_name, e.call.message, e.synchronous) for e in moved.effects] == [
        ("Call", pb.Request(id="e"), True)
    ]


def test_a_failure_sends_nothing_and_undoes_the_change() -> None:
    kit = CrdtTestKit(crdt_model.model, "PNCounter-2")
    kit.handle("Process", request("PNCounter-2", inc(1)))
    fail = pb.RequestAction(fail=pb.Fail(message="no"))
    effect = pb.RequestAction(effect=pb.Effect(id="e"))
    failed = kit.handle("Process", request("PNCounter-2", inc(10), effect, fail))
    assert (failed.failure, failed.delta, failed.effects, failed.reply) == ("no", None, [], None)
    assert kit.state.value == 1
    assert kit.handle("Process", request("PNCounter-2")).reply == pn(1)


def test_delete_and_what_follows() -> None:
    kit = CrdtTestKit(crdt_model.model, "Flag-1")
    deleted = kit.handle("Process", request("Flag-1", pb.RequestAction(delete=pb.Delete())))
    assert (deleted.deleted, deleted.delta, deleted.write_consistency) == (True, None, WriteConsistency.LOCAL)
    with pytest.raises(HandlerError, match="was deleted"):
        kit.handle("Process", request("Flag-1"))


def test_streamed_commands_changes_end_and_cancel() -> None:
    kit = CrdtTestKit(crdt_model.model, "PNCounter-s")
    watcher = pb.StreamedRequest(
        id="PNCounter-s",
        end_state=pn(3).state,
        effects=[pb.Effect(id="w")],
        initial_update=pb.Update(pncounter=pb.PNCounterUpdate(change=1)),
    )
    watch = kit.handle("ProcessStreamed", watcher)
    assert (watch.streamed, watch.reply, watch.delta.pncounter.change if watch.delta else None) == (True, pn(1), 1)
    quiet = pb.StreamedRequest(
        id="PNCounter-s", empty=True, cancel_update=pb.Update(pncounter=pb.PNCounterUpdate(change=2))
    )
    holder = kit.handle("ProcessStreamed", quiet)
    assert (holder.streamed, holder.reply, holder.delta) == (True, None, None)
    assert kit.open_streams == [1, 2]

    (told,) = kit.apply_delta(crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=-1)))
    assert (told.command_id, told.reply, told.end_stream) == (1, pn(0), False)
    assert [(e.call.message, e.synchronous) for e in told.effects] == [(pb.Request(id="w"), False)]

    cancel = kit.cancel(2)
    assert cancel.delta == crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=2))
    assert (cancel.command_id, cancel.write_consistency, cancel.effects, cancel.state.value) == (
        2,
        WriteConsistency.LOCAL,
        [],
        2,
    )
    assert [(m.command_id, m.reply, m.end_stream) for m in cancel.streamed_messages] == [(1, pn(2), False)]
    (ended,) = kit.handle("Process", request("PNCounter-s", inc(1))).streamed_messages
    assert (ended.command_id, ended.reply, ended.end_stream) == (1, pn(3), True)
    assert kit.open_streams == []
    assert kit.apply_delta(crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=1))) == []
    with pytest.raises(HandlerError, match="no open streamed call"):
        kit.cancel(1)


def test_wrong_input_and_wrong_delta_are_refused() -> None:
    kit = CrdtTestKit(crdt_model.model, "GCounter-1")
    with pytest.raises(PayloadError, match=r"takes a cloudstate\.tck\.model\.crdt\.Request"):
        kit.handle("Process", pb.Response())
    kit.handle("Process", request("GCounter-1"))
    with pytest.raises(Exception, match="a flag delta cannot apply to a GCounter"):
        kit.apply_delta(crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)))
    fresh = CrdtTestKit(crdt_model.model, "GCounter-2")  # initial_state names the type before any value
    with pytest.raises(ProtocolError, match="a flag delta cannot apply to a GCounter"):
        fresh.apply_delta(crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)))
    assert fresh.state is None
    fresh.apply_delta(crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=3)))
    assert fresh.handle("Process", request("GCounter-2")).reply == pb.Response(
        state=pb.State(gcounter=pb.GCounterValue(value=3))
    )


counter = CrdtEntity(TWO)


@counter.command("Call")
async def call(state: GCounter | None, req: pb.Request, ctx: CrdtContext) -> Reply:
    if state is None:
        ctx.set_state(GCounter())
    ctx.state.increment(len(req.actions) + 1)
    ctx.write_consistency = WriteConsistency.ALL
    who = str(ctx.metadata.get("who", ""))
    return Reply(pb.Response(), Metadata({"x-count": str(ctx.state.value), "x-who": who}))


async def test_async_handlers_metadata_and_an_entity_that_starts_without_state() -> None:
    kit = CrdtTestKit(counter, "c")
    initial = kit.state
    assert initial is None
    result = await kit.handle_async("Call", pb.Request(id="c"), metadata={"who": "me"})
    assert result.reply_metadata == Metadata({"x-count": "1", "x-who": "me"})
    assert (result.delta, result.write_consistency) == (
        crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=1)),
        WriteConsistency.ALL,
    )
    assert await kit.apply_delta_async(crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=4))) == []
    counted: GCounter = kit.state
    assert counted.value == 5
    fresh = CrdtTestKit(counter, "d")
    fresh.apply_delta(crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=2)))
    assert isinstance(fresh.state, GCounter)
    assert fresh.state.value == 2


watched = CrdtEntity("cloudstate.tck.model.crdt.CrdtTckModel", initial_state=PNCounter)


@watched.command("Process")
def process(state: PNCounter, req: pb.Request, ctx: CrdtContext) -> pb.Response:
    state.increment(1)
    return pb.Response(state=pb.State(pncounter=pb.PNCounterValue(value=ctx.open_streams())))


@watched.command("ProcessStreamed")
def streamed(state: PNCounter, req: pb.StreamedRequest, ctx: CrdtContext) -> pb.Response:
    def changed(current: PNCounter, sub: SubscriptionContext) -> pb.Response:
        # Counts the other open calls: the one being told is not among them.
        return pb.Response(state=pb.State(pncounter=pb.PNCounterValue(value=sub.open_streams("ProcessStreamed"))))

    ctx.on_change(changed)
    return pb.Response()


def test_open_streams_counts_the_other_open_calls() -> None:
    kit = CrdtTestKit(watched, "w")
    kit.handle("ProcessStreamed", pb.StreamedRequest(id="w"))
    kit.handle("ProcessStreamed", pb.StreamedRequest(id="w"))
    result = kit.handle("Process", pb.Request(id="w"))
    assert result.reply == pn(2)
    assert [(m.command_id, m.reply) for m in result.streamed_messages] == [(1, pn(1)), (2, pn(1))]
