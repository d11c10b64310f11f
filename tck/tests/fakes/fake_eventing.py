"""The fake's eventing TCK model (cloudstate.tck.model.eventlogeventing), with switchable defects.

The emitting entities and the subscriber are served beside the other models:
:class:`EventSourced` and :class:`Action` take the streams and calls of the
eventing services and leave the rest to the fake's other servicers.

Defects:
  evt-subject-source   reply steps answer with ce-source as the id instead of ce-subject
  evt-forward-method   forwards go to ProcessEventOne instead of Effect
  evt-two-first-step   ProcessEventTwo answers the event's first step only
  evt-json-spaced      EmitJsonEvent writes {"message": "..."}, with whitespace
  evt-json-strict      ProcessAnyEvent refuses JSON that is not spelled canonically
  evt-replay-fails     the emitting entities fail the stream on a replayed event
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import grpc
from cloudstate import action_pb2, entity_pb2, event_sourced_pb2
from cloudstate.tck.model import eventlogeventing_pb2 as pb
from google.protobuf import any_pb2, empty_pb2, wrappers_pb2

from tck.tests.fakes import fake_action, fake_eventsourced
from tck.tests.fakes.fake_common import PREFIX, command_problem, forward, pack, reply, unpack, violation

PACKAGE = "cloudstate.tck.model.eventlogeventing"
SUBSCRIBER = f"{PACKAGE}.EventLogSubscriberModel"
ENTITIES = {f"{PACKAGE}.EventSourcedEntityOne": "EmitEvent", f"{PACKAGE}.EventSourcedEntityTwo": "EmitJsonEvent"}
JSON_URL = "json.cloudstate.io/JsonEvent"
REPLAYABLE = {
    f"{PACKAGE}.EventSourcedEntityOne": {PREFIX + f"{PACKAGE}.EventOne", PREFIX + f"{PACKAGE}.EventTwo"},
    f"{PACKAGE}.EventSourcedEntityTwo": {JSON_URL},
}
DEFECTS = frozenset(
    {
        "evt-subject-source",
        "evt-forward-method",
        "evt-two-first-step",
        "evt-json-spaced",
        "evt-json-strict",
        "evt-replay-fails",
    }
)
Out = event_sourced_pb2.EventSourcedStreamOut


async def _chain(
    first: event_sourced_pb2.EventSourcedStreamIn, rest: AsyncIterator[event_sourced_pb2.EventSourcedStreamIn]
) -> AsyncIterator[event_sourced_pb2.EventSourcedStreamIn]:
    yield first
    async for message in rest:
        yield message


class EventSourced(fake_eventsourced.EventSourced):
    """The fake's event-sourced servicer, which also serves the two emitting entities."""

    async def handle(
        self, request_iterator: AsyncIterator[event_sourced_pb2.EventSourcedStreamIn], context: object
    ) -> AsyncIterator[Out]:
        first = await anext(request_iterator, None)
        if first is None:
            return
        eventing = first.WhichOneof("message") == "init" and first.init.service_name in ENTITIES
        handler = self._emitting if eventing else super().handle
        async for out in handler(_chain(first, request_iterator), context):
            yield out

    async def _emitting(
        self, request_iterator: AsyncIterator[event_sourced_pb2.EventSourcedStreamIn], context: object
    ) -> AsyncIterator[Out]:
        init = (await anext(request_iterator)).init
        commands = 0
        async for message in request_iterator:
            kind = message.WhichOneof("message")
            if kind == "event" and not commands:
                if (
                    "evt-replay-fails" in self.defects
                    or message.event.payload.type_url not in REPLAYABLE[init.service_name]
                ):
                    yield Out(failure=entity_pb2.Failure(description=f"cannot replay event {message.event.sequence}"))
                    return
            elif kind == "command":
                commands += 1
                out = self._emit(init, message.command)
                yield out
                if out.HasField("failure"):
                    return
            else:
                yield Out(failure=violation(0, f"unexpected {kind}"))
                return

    def _emit(self, init: event_sourced_pb2.EventSourcedInit, command: entity_pb2.Command) -> Out:
        request: pb.EmitEventRequest | pb.JsonEvent = (
            pb.JsonEvent() if ENTITIES[init.service_name] == "EmitJsonEvent" else pb.EmitEventRequest()
        )
        problem = command_problem(command, init.entity_id, ENTITIES[init.service_name], request)
        if problem is not None:
            return Out(failure=problem)
        if isinstance(request, pb.JsonEvent):
            separators = (", ", ": ") if "evt-json-spaced" in self.defects else (",", ":")
            text = json.dumps({"message": request.message}, separators=separators, ensure_ascii=False)
            event = any_pb2.Any(
                type_url=JSON_URL, value=wrappers_pb2.BytesValue(value=text.encode()).SerializeToString()
            )
        else:
            event = pack(getattr(request, str(request.WhichOneof("event"))))
        empty = reply(empty_pb2.Empty())
        return Out(
            reply=event_sourced_pb2.EventSourcedReply(command_id=command.id, client_action=empty, events=[event])
        )


def _metadata(command: action_pb2.ActionCommand, key: str) -> str:
    return next((e.string_value for e in command.metadata.entries if e.key == key), "")


def _replied(id: str, message: str) -> action_pb2.ActionResponse:
    return action_pb2.ActionResponse(reply=entity_pb2.Reply(payload=pack(pb.Response(id=id, message=message))))


def _failed(description: str) -> action_pb2.ActionResponse:
    return action_pb2.ActionResponse(failure=entity_pb2.Failure(description=description))


class Action(fake_action.Action):
    """The fake's action servicer, which also serves the subscriber."""

    def _answer(self, step: pb.ProcessStep, command: action_pb2.ActionCommand) -> action_pb2.ActionResponse:
        subject = _metadata(command, "ce-subject")
        which = step.WhichOneof("step")
        if which == "reply":
            source = _metadata(command, "ce-source") if "evt-subject-source" in self.defects else subject
            return _replied(source, step.reply.message)
        if which == "forward":
            method = "ProcessEventOne" if "evt-forward-method" in self.defects else "Effect"
            target = forward(SUBSCRIBER, method, pb.EffectRequest(id=subject, message=step.forward.message)).forward
            return action_pb2.ActionResponse(forward=target)
        return _failed("a step with neither reply nor forward")

    def _any_event(self, command: action_pb2.ActionCommand) -> action_pb2.ActionResponse:
        text = wrappers_pb2.BytesValue.FromString(command.payload.value).value.decode()
        value = json.loads(text)
        canonical = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if command.payload.type_url != JSON_URL or ("evt-json-strict" in self.defects and text != canonical):
            return _failed(f"not a JsonEvent: {text}")
        return _replied(_metadata(command, "ce-subject"), value["message"])

    async def handleUnary(
        self, request: action_pb2.ActionCommand, context: grpc.aio.ServicerContext
    ) -> action_pb2.ActionResponse:
        if request.service_name != SUBSCRIBER:
            return await super().handleUnary(request, context)
        if request.name == "ProcessEventOne":
            event = pb.EventOne()
            if unpack(request.payload, event):
                return self._answer(event.step, request)
        elif request.name == "Effect":
            effect = pb.EffectRequest()
            if unpack(request.payload, effect):
                return _replied(effect.id, effect.message)
        elif request.name == "ProcessAnyEvent":
            return self._any_event(request)
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, f"cannot handle {request.name} {request.payload.type_url}"
        )
        raise AssertionError("abort returns no answer")

    async def handleStreamedOut(
        self, request: action_pb2.ActionCommand, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        if request.service_name != SUBSCRIBER:
            async for response in super().handleStreamedOut(request, context):
                yield response
            return
        event = pb.EventTwo()
        if request.name != "ProcessEventTwo" or not unpack(request.payload, event):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"cannot handle {request.name} {request.payload.type_url}"
            )
        steps = event.step[:1] if "evt-two-first-step" in self.defects else event.step
        for step in steps:
            yield self._answer(step, request)
