"""Presence: a Vote per user, true on a replica while that user has a connection there.

Every connection is a ``Connect`` call that the client holds open. The first
connection on this replica votes true; when the last one goes away the vote
turns false. The proxies merge the replicas' votes, so ``at_least_one`` says
whether the user is connected anywhere.
"""

from __future__ import annotations

from cloudstate_sdk import CrdtContext, CrdtEntity, StreamCancelledContext, Vote

from cloudstate_examples.chat import chat_pb2 as api
from cloudstate_examples.chat.changes import stream_changes

presence = CrdtEntity(api.DESCRIPTOR.services_by_name["Presence"], persistence_id="presence", initial_state=Vote)


@presence.command("Connect")
def connect(state: Vote, user: api.User, ctx: CrdtContext) -> None:
    if not ctx.streamed:
        ctx.fail("Connect is a streamed call: keep it open while the user is connected.")
    state.vote(True)  # changes nothing when another connection here already voted
    ctx.on_cancel(disconnected)
    return None  # the call stays open without a message


def disconnected(state: Vote, ctx: StreamCancelledContext) -> None:
    # The cancelled call no longer counts; other connections keep the user online.
    if ctx.open_streams("Connect") == 0:
        state.vote(False)


@presence.command("Monitor")
def monitor(state: Vote, user: api.User, ctx: CrdtContext) -> api.OnlineStatus:
    def status(vote: Vote) -> api.OnlineStatus:
        return api.OnlineStatus(name=ctx.entity_id, online=vote.at_least_one)

    return stream_changes(ctx, status(state), status)
