"""Chat rooms: each room's members as an ORSet of user names.

Replicas add and remove members concurrently; the ORSet merges their changes
(an add wins over a concurrent remove of the same name).
"""

from __future__ import annotations

from cloudstate_sdk import CrdtContext, CrdtEntity, ORSet
from google.protobuf.empty_pb2 import Empty

from cloudstate_examples.chat import chat_pb2 as api
from cloudstate_examples.chat.changes import stream_changes

room = CrdtEntity(api.DESCRIPTOR.services_by_name["ChatRoom"], persistence_id="chat-rooms", initial_state=ORSet)


def members(state: ORSet) -> api.Members:
    return api.Members(users=sorted(state))


@room.command("Join")
def join(state: ORSet, request: api.Membership, ctx: CrdtContext) -> Empty:
    if not request.user:
        ctx.fail(f"Name the user who joins {request.room}.")
    state.add(request.user)
    return Empty()


@room.command("Leave")
def leave(state: ORSet, request: api.Membership, ctx: CrdtContext) -> Empty:
    state.remove(request.user)  # leaving twice is fine: the user is gone either way
    return Empty()


@room.command("GetMembers")
def get_members(state: ORSet, request: api.Room, ctx: CrdtContext) -> api.Members:
    return members(state)


@room.command("WatchMembers")
def watch_members(state: ORSet, request: api.Room, ctx: CrdtContext) -> api.Members:
    return stream_changes(ctx, members(state), members)
