"""The fake user function's actions (cstest.Act), scripted like the entities.

Unary: the script's outcome, reply value = the request id. StreamedIn: one
response after the client's last message, value = the ids joined with "+",
outcome and effects from the last message's script. StreamedOut: one
response per step (``item:X`` a reply X, ``nothing``, ``fail:T``,
``forward:...``). Duplex: one response per client message, scripted by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from cloudstate import action_pb2, action_pb2_grpc, entity_pb2
from fake_protos import Cmd, State, pack
from fake_script import Script, client_action, side_effects

Context = Any


def respond(script: Script, value: str, metadata: entity_pb2.Metadata) -> action_pb2.ActionResponse:
    response = action_pb2.ActionResponse(side_effects=side_effects(script))
    if script.has("nothing"):
        return response
    action = client_action(script, value, 0, metadata)
    which = action.WhichOneof("action")
    if which == "reply":
        response.reply.CopyFrom(action.reply)
    elif which == "forward":
        response.forward.CopyFrom(action.forward)
    elif which == "failure":
        response.failure.CopyFrom(action.failure)
    return response


class FakeActions(action_pb2_grpc.ActionProtocolServicer):
    def __init__(self) -> None:
        self.commands: list[action_pb2.ActionCommand] = []  # every ActionCommand received, in order
        self.cancelled = 0  # streamed calls the proxy cancelled

    async def handleUnary(self, request: action_pb2.ActionCommand, context: Context) -> action_pb2.ActionResponse:
        self.commands.append(request)
        cmd = Cmd.FromString(request.payload.value)
        script = Script.parse(cmd.script)
        await asyncio.sleep(script.sleep)
        if (text := script.arg("abort")) is not None:  # end the call with an error status instead
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, text)
        return respond(script, cmd.id, request.metadata)

    async def handleStreamedIn(
        self, request_iterator: AsyncIterator[action_pb2.ActionCommand], context: Context
    ) -> action_pb2.ActionResponse:
        first, ids, script = None, [], Script([])
        async for request in request_iterator:
            self.commands.append(request)
            if first is None:
                first = request
                continue
            cmd = Cmd.FromString(request.payload.value)
            ids.append(cmd.id)
            script = Script.parse(cmd.script)
            if script.has("early"):  # answer before the client is done
                break
        assert first is not None
        await asyncio.sleep(script.sleep)
        return respond(script, "+".join(ids), first.metadata)

    async def handleStreamedOut(
        self, request: action_pb2.ActionCommand, context: Context
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        self.commands.append(request)
        cmd = Cmd.FromString(request.payload.value)
        try:
            for name, arg in Script.parse(cmd.script).steps:
                if name == "item":
                    yield action_pb2.ActionResponse(reply=entity_pb2.Reply(payload=pack(State(value=arg))))
                elif name == "hang":
                    await asyncio.sleep(3600)
                else:
                    yield respond(Script([(name, arg)]), cmd.id, request.metadata)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def handleStreamed(
        self, request_iterator: AsyncIterator[action_pb2.ActionCommand], context: Context
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        first = None
        async for request in request_iterator:
            self.commands.append(request)
            if first is None:
                first = request
                continue
            cmd = Cmd.FromString(request.payload.value)
            script = Script.parse(cmd.script)
            yield respond(script, cmd.id, first.metadata)
            if script.has("stop"):
                return
