"""The Crdt protocol and the CRDT TCK model, driven by a client that plays the proxy (spec/12-crdt.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cloudstate import crdt_pb2, crdt_pb2_grpc, entity_pb2
from cloudstate.tck.model import crdt_pb2 as pb
from cloudstate_sdk import pack, unpack
from cloudstate_sdk.tck_model import crdt as crdt_model
from google.protobuf.message import Message
from sdk_harness import Stream, command, serving

MODEL = "cloudstate.tck.model.crdt.CrdtTckModel"
TWO = "cloudstate.tck.model.crdt.CrdtTwo"
In = crdt_pb2.CrdtStreamIn


@pytest.fixture
async def crdt_stub() -> AsyncIterator[crdt_pb2_grpc.CrdtStub]:
    async with serving(crdt_model.entities) as channel:
        yield crdt_pb2_grpc.CrdtStub(channel)


async def open_entity(stub: crdt_pb2_grpc.CrdtStub, entity_id: str, delta: crdt_pb2.CrdtDelta | None = None) -> Stream:
    stream = Stream(stub.handle())
    init = crdt_pb2.CrdtInit(service_name=MODEL, entity_id=entity_id)
    if delta is not None:
        init.delta.CopyFrom(delta)
    await stream.send(In(init=init))
    return stream


def cmd(
    command_id: int, entity_id: str, *actions: pb.RequestAction, name: str = "Process", streamed: bool = False
) -> In:
    message: Message = pb.Request(id=entity_id, actions=actions)
    out = command(command_id, name, message, entity_id)
    out.streamed = streamed
    return In(command=out)


def streamed_cmd(command_id: int, request: pb.StreamedRequest) -> In:
    out = command(command_id, "ProcessStreamed", request, request.id)
    out.streamed = True
    return In(command=out)


def update(**kwargs: Message) -> pb.RequestAction:
    change = pb.Update()
    for kind, value in kwargs.items():
        getattr(change, kind).CopyFrom(value)
    return pb.RequestAction(update=change)


def inc(n: int) -> pb.RequestAction:
    return update(pncounter=pb.PNCounterUpdate(change=n))


def state(reply: crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamedMessage) -> pb.State:
    response: pb.Response = unpack(reply.client_action.reply.payload)
    return response.state


def pn(value: int) -> pb.State:
    return pb.State(pncounter=pb.PNCounterValue(value=value))


async def test_new_entity_changes_and_never_reapplies_its_own_delta(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(crdt_stub, "PNCounter-1")
    await stream.send(cmd(1, "PNCounter-1", inc(5), inc(-2)))
    reply = (await stream.receive()).reply
    assert state(reply) == pn(3)
    assert reply.state_action.update.pncounter.change == 3
    await stream.send(In(delta=crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=10))))
    await stream.send(cmd(2, "PNCounter-1"))
    reply = (await stream.receive()).reply
    assert state(reply) == pn(13)
    assert not reply.HasField("state_action")
    assert await stream.close() == []


async def test_init_with_state_and_a_new_register_sends_its_creation(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    initial = crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[pack("b"), pack("a")]))
    stream = await open_entity(crdt_stub, "ORSet-1", initial)
    await stream.send(cmd(1, "ORSet-1", update(orset=pb.ORSetUpdate(remove="b"))))
    reply = (await stream.receive()).reply
    assert state(reply) == pb.State(orset=pb.ORSetValue(elements=["a"]))
    assert [unpack(x) for x in reply.state_action.update.orset.removed] == ["b"]
    register = await open_entity(crdt_stub, "LWWRegister-1")
    await register.send(cmd(1, "LWWRegister-1"))
    reply = (await register.receive()).reply
    assert unpack(reply.state_action.update.lwwregister.value) == ""


async def test_write_consistency_clock_forward_and_effects(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(crdt_stub, "LWWRegister-2")
    clock = pb.LWWRegisterClock(clockType=pb.CUSTOM, customClockValue=42)
    first = update(lwwregister=pb.LWWRegisterUpdate(value="x", clock=clock))
    first.update.write_consistency = pb.ALL
    effect = pb.RequestAction(effect=pb.Effect(id="e", synchronous=True))
    forward = pb.RequestAction(forward=pb.Forward(id="f"))
    await stream.send(cmd(1, "LWWRegister-2", first, effect, forward))
    reply = (await stream.receive()).reply
    assert reply.state_action.write_consistency == crdt_pb2.ALL
    delta = reply.state_action.update.lwwregister
    assert (unpack(delta.value), delta.clock, delta.custom_clock_value) == ("x", crdt_pb2.CUSTOM, 42)
    assert (reply.client_action.forward.service_name, unpack(reply.client_action.forward.payload).id) == (TWO, "f")
    assert [(e.command_name, e.synchronous) for e in reply.side_effects] == [("Call", True)]


async def test_failure_undoes_the_command(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(crdt_stub, "ORMap-1")
    entry = pb.ORMapUpdate(
        update=pb.ORMapEntryUpdate(key="GCounter-a", update=pb.Update(gcounter=pb.GCounterUpdate(increment=2)))
    )
    await stream.send(cmd(1, "ORMap-1", update(ormap=entry)))
    assert (await stream.receive()).reply.state_action.update.ormap.added[0].delta.gcounter.increment == 2
    fail = pb.RequestAction(fail=pb.Fail(message="no"))
    await stream.send(cmd(2, "ORMap-1", update(ormap=entry), update(ormap=pb.ORMapUpdate(add="Flag-b")), fail))
    failed = (await stream.receive()).reply
    assert failed.client_action.failure.description == "no"
    assert failed.client_action.failure.command_id == 2
    assert not failed.HasField("state_action")
    assert not failed.side_effects
    await stream.send(cmd(3, "ORMap-1"))
    expected = pb.ORMapValue(
        entries=[pb.ORMapEntryValue(key="GCounter-a", value=pb.State(gcounter=pb.GCounterValue(value=2)))]
    )
    assert state((await stream.receive()).reply) == pb.State(ormap=expected)


async def test_streamed_commands_follow_changes_end_and_cancel(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(crdt_stub, "PNCounter-s")
    watcher = pb.StreamedRequest(
        id="PNCounter-s",
        end_state=pn(4),
        effects=[pb.Effect(id="w", synchronous=False)],
        initial_update=pb.Update(pncounter=pb.PNCounterUpdate(change=1)),
    )
    await stream.send(streamed_cmd(1, watcher))
    first = (await stream.receive()).reply
    assert first.streamed
    assert state(first) == pn(1)
    assert first.state_action.update.pncounter.change == 1
    quiet = pb.StreamedRequest(
        id="PNCounter-s", empty=True, cancel_update=pb.Update(pncounter=pb.PNCounterUpdate(change=2))
    )
    await stream.send(streamed_cmd(2, quiet))
    second = (await stream.receive()).reply
    assert second.streamed
    assert not second.HasField("client_action")
    assert not second.HasField("state_action")

    await stream.send(cmd(3, "PNCounter-s", inc(1)))  # another client's change
    assert state((await stream.receive()).reply) == pn(2)
    told = (await stream.receive()).streamed_message
    assert (told.command_id, state(told), told.end_stream) == (1, pn(2), False)
    assert [unpack(e.payload).id for e in told.side_effects] == ["w"]

    await stream.send(In(stream_cancelled=entity_pb2.StreamCancelled(entity_id="PNCounter-s", id=2)))
    cancelled = (await stream.receive()).stream_cancelled_response
    assert cancelled.command_id == 2
    assert cancelled.state_action.update.pncounter.change == 2
    ended = (await stream.receive()).streamed_message
    assert (ended.command_id, state(ended), ended.end_stream) == (1, pn(4), True)

    await stream.send(In(delta=crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=1))))
    await stream.send(cmd(4, "PNCounter-s"))
    assert state((await stream.receive()).reply) == pn(5), "nothing more for the ended stream"


async def test_delete(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(crdt_stub, "Flag-1")
    await stream.send(cmd(1, "Flag-1", update(flag=pb.FlagUpdate()), pb.RequestAction(delete=pb.Delete())))
    reply = (await stream.receive()).reply
    assert reply.state_action.HasField("delete")
    assert state(reply) == pb.State(flag=pb.FlagValue(value=True))
    await stream.send(In(delete=crdt_pb2.CrdtDelete()))
    assert await stream.close() == []


@pytest.mark.parametrize(
    ("messages", "text"),
    [
        ([cmd(1, "GSet-1")], "expected init"),
        ([In(delta=crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)))], "a flag delta cannot apply to a GSet"),
        ([In(delete=crdt_pb2.CrdtDelete()), cmd(1, "GSet-1")], "after the entity was deleted"),
        ([cmd(1, "GSet-1", name="Nope")], "no method 'Nope'"),
    ],
)
async def test_malformed_input_fails_only_that_stream(
    crdt_stub: crdt_pb2_grpc.CrdtStub, messages: list[In], text: str
) -> None:
    healthy = await open_entity(crdt_stub, "GCounter-h")
    if messages[0].WhichOneof("message") == "command" and messages[0].command.name == "Process":
        broken = Stream(crdt_stub.handle())
    else:
        broken = await open_entity(crdt_stub, "GSet-1", crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta()))
    for message in messages:
        await broken.send(message)
    (out,) = await broken.rest()
    assert out.failure.description.startswith("protocol violation: ")
    assert text in out.failure.description
    await healthy.send(cmd(1, "GCounter-h", update(gcounter=pb.GCounterUpdate(increment=1))))
    assert state((await healthy.receive()).reply) == pb.State(gcounter=pb.GCounterValue(value=1))


@pytest.mark.parametrize("in_init", [True, False], ids=["in-init", "before-any-value"])
async def test_the_id_names_the_type_before_the_entity_has_a_value(
    crdt_stub: crdt_pb2_grpc.CrdtStub, in_init: bool
) -> None:
    # TCKM-060: a Flag entity gets no GCounter, even when it has no value yet that a delta could clash with.
    counter = crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=1))
    broken = await open_entity(crdt_stub, "Flag-t", counter if in_init else None)
    if not in_init:
        await broken.send(In(delta=counter))
    await broken.send(cmd(1, "Flag-t"))
    (out,) = await broken.rest()
    assert out.failure.description.startswith("protocol violation: ")
    assert "a gcounter delta cannot apply to a Flag" in out.failure.description
    assert out.failure.command_id == 0
    fitting = await open_entity(crdt_stub, "Flag-u")
    await fitting.send(In(delta=crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True))))
    await fitting.send(cmd(1, "Flag-u"))
    assert state((await fitting.receive()).reply) == pb.State(flag=pb.FlagValue(value=True))


async def test_changes_taken_back_within_a_command_are_no_change(crdt_stub: crdt_pb2_grpc.CrdtStub) -> None:
    def orset(op: str, element: str) -> pb.RequestAction:
        change = pb.ORSetUpdate()
        setattr(change, op, element)
        return update(orset=change)

    stream = await open_entity(crdt_stub, "ORSet-n", crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[pack("a")])))
    await stream.send(
        cmd(1, "ORSet-n", orset("remove", "a"), orset("add", "a"), orset("add", "b"), orset("remove", "b"))
    )
    assert not (await stream.receive()).reply.HasField("state_action")  # CRDT-ORSET-003, CRDT-024
    await stream.send(cmd(2, "ORSet-n", orset("remove", "a"), orset("add", "c"), orset("add", "a")))
    delta = (await stream.receive()).reply.state_action.update.orset
    assert ([unpack(x) for x in delta.removed], [unpack(x) for x in delta.added]) == ([], ["c"])
    vote = await open_entity(crdt_stub, "Vote-n")
    await vote.send(cmd(1, "Vote-n", *(update(vote=pb.VoteUpdate(self_vote=v)) for v in (True, False))))
    reply = (await vote.receive()).reply
    assert not reply.HasField("state_action")  # CRDT-VOTE-001
    assert state(reply) == pb.State(vote=pb.VoteValue(total_voters=1))
