"""The chat example (presence as a Vote, room membership as an ORSet), through the Crdt protocol with a
client that plays the proxy, and through CrdtTestKit (spec/12-crdt.md, streamed commands and Vote)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cloudstate import crdt_pb2, crdt_pb2_grpc, entity_pb2
from cloudstate_examples.chat import chat_pb2 as api
from cloudstate_examples.chat import presence, room
from cloudstate_sdk import ORSet, Vote, WriteConsistency, pack, unpack
from cloudstate_sdk.testing import CrdtTestKit
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from sdk_harness import Stream, command, serving

PRESENCE = "com.example.chat.Presence"
ROOM = "com.example.chat.ChatRoom"
In = crdt_pb2.CrdtStreamIn


@pytest.fixture
async def stub() -> AsyncIterator[crdt_pb2_grpc.CrdtStub]:
    async with serving([presence, room]) as channel:
        yield crdt_pb2_grpc.CrdtStub(channel)


async def open_entity(stub: crdt_pb2_grpc.CrdtStub, service: str, entity_id: str, delta: crdt_pb2.CrdtDelta) -> Stream:
    stream = Stream(stub.handle())
    await stream.send(In(init=crdt_pb2.CrdtInit(service_name=service, entity_id=entity_id, delta=delta)))
    return stream


def cmd(command_id: int, name: str, payload: Message, entity_id: str, *, streamed: bool = False) -> In:
    out = command(command_id, name, payload, entity_id)
    out.streamed = streamed  # the proxy sets it exactly for server-streaming methods
    return In(command=out)


def tally(self_vote: bool, votes_for: int, total_voters: int) -> crdt_pb2.CrdtDelta:
    """A VoteDelta as the proxy sends it: all three fields (CRDT-VOTE-005)."""
    return crdt_pb2.CrdtDelta(
        vote=crdt_pb2.VoteDelta(self_vote=self_vote, votes_for=votes_for, total_voters=total_voters)
    )


def my_vote(self_vote: bool) -> crdt_pb2.CrdtDelta:
    return crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=self_vote))


def cancelled(entity_id: str, command_id: int) -> In:
    return In(stream_cancelled=entity_pb2.StreamCancelled(entity_id=entity_id, id=command_id))


def online(message: crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamedMessage) -> bool:
    status: api.OnlineStatus = unpack(message.client_action.reply.payload)
    assert status.name == "ann"
    return status.online


async def test_presence_connects_votes_and_monitors(stub: crdt_pb2_grpc.CrdtStub) -> None:
    # Another replica has a connection for ann: 1 of 2 replicas votes true.
    stream = await open_entity(stub, PRESENCE, "ann", tally(False, 1, 2))
    await stream.send(cmd(1, "Monitor", api.User(name="ann"), "ann", streamed=True))
    first = (await stream.receive()).reply
    assert (first.streamed, online(first), first.HasField("state_action")) == (True, True, False)

    # That connection goes away on the other replica: the proxy sends the new tally.
    await stream.send(In(delta=tally(False, 0, 2)))
    went = (await stream.receive()).streamed_message
    assert (went.command_id, online(went), went.end_stream) == (1, False, False)

    # Two connections here: only the first changes the vote, and the monitor hears it once.
    await stream.send(cmd(2, "Connect", api.User(name="ann"), "ann", streamed=True))
    connected = (await stream.receive()).reply
    assert connected.streamed
    assert not connected.HasField("client_action"), "Connect stays open without a message"
    assert connected.state_action.update == my_vote(True)
    assert connected.state_action.write_consistency == crdt_pb2.LOCAL
    came = (await stream.receive()).streamed_message
    assert (came.command_id, online(came)) == (1, True)
    await stream.send(cmd(3, "Connect", api.User(name="ann"), "ann", streamed=True))
    again = (await stream.receive()).reply
    assert again.streamed
    assert not again.HasField("state_action")

    # The first connection ends: the other still holds the vote, so nothing changes.
    await stream.send(cancelled("ann", 2))
    response = (await stream.receive()).stream_cancelled_response
    assert response.command_id == 2
    assert not response.HasField("state_action")
    # The last one ends: the vote turns false and the monitor is told.
    await stream.send(cancelled("ann", 3))
    response = (await stream.receive()).stream_cancelled_response
    assert (response.command_id, response.state_action.update) == (3, my_vote(False))
    left = (await stream.receive()).streamed_message
    assert (left.command_id, online(left)) == (1, False)

    # A tally change that keeps the answer sends nothing; the next message is the next change.
    await stream.send(In(delta=tally(False, 0, 3)))
    await stream.send(In(delta=tally(False, 2, 3)))
    back = (await stream.receive()).streamed_message
    assert (back.command_id, online(back)) == (1, True)
    await stream.send(cancelled("ann", 1))
    assert (await stream.receive()).stream_cancelled_response.command_id == 1
    assert await stream.close() == []


async def test_presence_without_state_starts_offline(stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = Stream(stub.handle())
    await stream.send(In(init=crdt_pb2.CrdtInit(service_name=PRESENCE, entity_id="ann")))
    await stream.send(cmd(1, "Monitor", api.User(name="ann"), "ann", streamed=True))
    reply = (await stream.receive()).reply
    assert not online(reply)
    assert not reply.HasField("state_action"), "a fresh Vote is no change to send"


def members(message: crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamedMessage) -> list[str]:
    payload: api.Members = unpack(message.client_action.reply.payload)
    return list(payload.users)


async def test_room_membership_merges_replicated_changes(stub: crdt_pb2_grpc.CrdtStub) -> None:
    stream = await open_entity(stub, ROOM, "lobby", crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[pack("bob")])))
    await stream.send(cmd(1, "WatchMembers", api.Room(room="lobby"), "lobby", streamed=True))
    watch = (await stream.receive()).reply
    assert (watch.streamed, members(watch)) == (True, ["bob"])

    await stream.send(cmd(2, "Join", api.Membership(room="lobby", user="ann"), "lobby"))
    joined = (await stream.receive()).reply
    assert unpack(joined.client_action.reply.payload) == Empty()
    assert [unpack(e) for e in joined.state_action.update.orset.added] == ["ann"]
    told = (await stream.receive()).streamed_message
    assert (told.command_id, members(told)) == (1, ["ann", "bob"])

    # Another replica removes bob, then adds ann again (no visible change: no message).
    await stream.send(In(delta=crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(removed=[pack("bob")]))))
    assert members((await stream.receive()).streamed_message) == ["ann"]
    await stream.send(In(delta=crdt_pb2.CrdtDelta(orset=crdt_pb2.ORSetDelta(added=[pack("ann")]))))
    await stream.send(cmd(3, "GetMembers", api.Room(room="lobby"), "lobby"))
    got = (await stream.receive()).reply
    assert (got.command_id, members(got), got.streamed) == (3, ["ann"], False)

    await stream.send(cmd(4, "Join", api.Membership(room="lobby"), "lobby"))
    failed = (await stream.receive()).reply
    assert failed.client_action.failure.description == "Name the user who joins lobby."
    assert not failed.HasField("state_action")
    await stream.send(cmd(5, "Leave", api.Membership(room="lobby", user="ann"), "lobby"))
    left = (await stream.receive()).reply
    assert [unpack(e) for e in left.state_action.update.orset.removed] == ["ann"]
    assert members((await stream.receive()).streamed_message) == []
    await stream.send(cancelled("lobby", 1))
    response = (await stream.receive()).stream_cancelled_response
    assert (response.command_id, response.HasField("state_action"), len(response.side_effects)) == (1, False, 0)
    assert await stream.close() == []


def test_presence_with_the_testkit() -> None:
    kit = CrdtTestKit(presence, "ann")
    watch = kit.handle("Monitor", api.User(name="ann"))
    assert (watch.reply, watch.streamed, watch.delta) == (api.OnlineStatus(name="ann", online=False), True, None)
    first = kit.handle("Connect", api.User(name="ann"))
    assert (first.reply, first.streamed, first.delta) == (None, True, my_vote(True))
    assert first.write_consistency == WriteConsistency.LOCAL
    assert [(m.command_id, m.reply) for m in first.streamed_messages] == [
        (watch.command_id, api.OnlineStatus(name="ann", online=True))
    ]
    second = kit.handle("Connect", api.User(name="ann"))
    assert (second.delta, second.streamed_messages) == (None, [])
    assert kit.open_streams == [watch.command_id, first.command_id, second.command_id]

    assert kit.cancel(first.command_id).delta is None
    last = kit.cancel(second.command_id)
    assert last.delta == my_vote(False)
    assert [m.reply for m in last.streamed_messages] == [api.OnlineStatus(name="ann", online=False)]
    assert kit.state.votes_for == 0
    # Other replicas' votes arrive as deltas.
    messages = kit.apply_delta(tally(False, 2, 3))
    assert [m.reply for m in messages] == [api.OnlineStatus(name="ann", online=True)]
    assert kit.open_streams == [watch.command_id]


def test_presence_from_a_known_tally() -> None:
    start = Vote()
    start.votes_for, start.total_voters = 1, 3  # another replica has a connection
    kit = CrdtTestKit(presence, "ann", state=start)
    assert kit.handle("Monitor", api.User(name="ann")).reply == api.OnlineStatus(name="ann", online=True)


def test_room_with_the_testkit() -> None:
    start = ORSet()
    start.add("bob")
    kit = CrdtTestKit(room, "lobby", state=start)
    assert start.add("zoe"), "the kit copied the state: the test's object stays its own"
    joined = kit.handle("Join", api.Membership(room="lobby", user="ann"))
    assert joined.delta is not None
    assert [unpack(e) for e in joined.delta.orset.added] == ["ann"]
    assert kit.handle("GetMembers", api.Room(room="lobby")).reply == api.Members(users=["ann", "bob"])
    failed = kit.handle("Join", api.Membership(room="lobby"))
    assert (failed.failure, failed.delta) == ("Name the user who joins lobby.", None)
    assert sorted(kit.state) == ["ann", "bob"]
