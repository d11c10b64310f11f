"""The fake's TCK model actions, with switchable defects.

Defects:
  action-streamed-in-first   a streamed-in call answers from its first request only
  action-forward-method      forwards name the method "Process" instead of "Call"
  action-stop-on-failure     streamed calls stop answering after a failure
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import grpc
from cloudstate import action_pb2, action_pb2_grpc, entity_pb2
from cloudstate.tck.model import action_pb2 as model

from tck.tests.fakes.fake_common import pack, unpack

MODEL = "cloudstate.tck.model.action.ActionTckModel"
TWO = "cloudstate.tck.model.action.ActionTwo"
METHODS = {
    MODEL: ("ProcessUnary", "ProcessStreamedIn", "ProcessStreamedOut", "ProcessStreamed"),
    TWO: ("Call",),
}


DEFECTS = frozenset({"action-streamed-in-first", "action-forward-method", "action-stop-on-failure"})


class Action(action_pb2_grpc.ActionProtocolServicer):
    def __init__(self, defects: frozenset[str]) -> None:
        self.defects = defects

    def _respond(self, steps: Iterable[model.ProcessStep]) -> action_pb2.ActionResponse:
        response = action_pb2.ActionResponse()
        for step in steps:
            which = step.WhichOneof("step")
            if which == "reply":
                response.reply.CopyFrom(entity_pb2.Reply(payload=pack(model.Response(message=step.reply.message))))
            elif which == "forward":
                method = "Process" if "action-forward-method" in self.defects else "Call"
                payload = pack(model.OtherRequest(id=step.forward.id))
                response.forward.CopyFrom(entity_pb2.Forward(service_name=TWO, command_name=method, payload=payload))
            elif which == "fail":
                response.failure.CopyFrom(entity_pb2.Failure(description=step.fail.message))
            elif which == "effect":
                payload = pack(model.OtherRequest(id=step.effect.id))
                response.side_effects.append(
                    entity_pb2.SideEffect(
                        service_name=TWO, command_name="Call", payload=payload, synchronous=step.effect.synchronous
                    )
                )
        return response

    async def _check(self, command: action_pb2.ActionCommand, context: grpc.aio.ServicerContext, method: str) -> None:
        if command.name not in METHODS.get(command.service_name, ()) or (
            command.service_name == MODEL and command.name != method
        ):
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"no action {command.service_name}/{command.name}")

    async def _request(self, command: action_pb2.ActionCommand, context: grpc.aio.ServicerContext) -> model.Request:
        request = model.Request()
        if not unpack(command.payload, request):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unexpected payload {command.payload.type_url}")
        return request

    async def handleUnary(
        self, request: action_pb2.ActionCommand, context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        if request.service_name == TWO:
            await self._check(request, context, "Call")
            return action_pb2.ActionResponse(reply=entity_pb2.Reply(payload=pack(model.Response())))
        await self._check(request, context, "ProcessUnary")
        message = await self._request(request, context)
        return self._respond(s for g in message.groups for s in g.steps)

    async def handleStreamedIn(
        self, request_iterator: AsyncIterator[action_pb2.ActionCommand], context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        steps: list[model.ProcessStep] = []
        seen = 0
        async for command in request_iterator:
            if seen == 0:
                await self._check(command, context, "ProcessStreamedIn")
            elif seen == 1 or "action-streamed-in-first" not in self.defects:
                steps.extend(s for g in (await self._request(command, context)).groups for s in g.steps)
            seen += 1
        return self._respond(steps)

    async def handleStreamedOut(
        self, request: action_pb2.ActionCommand, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        await self._check(request, context, "ProcessStreamedOut")
        for group in (await self._request(request, context)).groups:
            response = self._respond(group.steps)
            yield response
            if response.HasField("failure") and "action-stop-on-failure" in self.defects:
                return

    async def handleStreamed(
        self, request_iterator: AsyncIterator[action_pb2.ActionCommand], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        first = True
        async for command in request_iterator:
            if first:
                await self._check(command, context, "ProcessStreamed")
                first = False
                continue
            for group in (await self._request(command, context)).groups:
                response = self._respond(group.steps)
                yield response
                if response.HasField("failure") and "action-stop-on-failure" in self.defects:
                    return
