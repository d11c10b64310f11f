"""The action TCK model (cloudstate/tck/model/action.proto).

Each group of steps becomes one response: the last reply, forward or fail step
decides the outcome, and every effect step adds a side effect (which goes with
the outcome, failures included).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator

from cloudstate.tck.model import action_pb2 as pb

from cloudstate_sdk.action import Action, ActionContext
from cloudstate_sdk.outcomes import Failure, Forward

model = Action(pb.DESCRIPTOR.services_by_name["ActionTckModel"])
two = Action(pb.DESCRIPTOR.services_by_name["ActionTwo"])
_call_two = two.call_ref("Call")

_Result = pb.Response | Forward | Failure | None


def _run(steps: Iterable[pb.ProcessStep], ctx: ActionContext) -> _Result:
    outcome: _Result = None
    for step in steps:
        kind = step.WhichOneof("step")
        if kind == "reply":
            outcome = pb.Response(message=step.reply.message)
        elif kind == "forward":
            outcome = Forward(_call_two.create_call(pb.OtherRequest(id=step.forward.id)))
        elif kind == "fail":
            outcome = Failure(step.fail.message)
        elif kind == "effect":
            ctx.effect(_call_two.create_call(pb.OtherRequest(id=step.effect.id)), synchronous=step.effect.synchronous)
    return outcome


def _steps(request: pb.Request) -> Iterator[pb.ProcessStep]:
    return (step for group in request.groups for step in group.steps)


@model.unary("ProcessUnary")
def process_unary(request: pb.Request, ctx: ActionContext) -> _Result:
    return _run(_steps(request), ctx)


@model.stream_in("ProcessStreamedIn")
async def process_streamed_in(requests: AsyncIterator[pb.Request], ctx: ActionContext) -> _Result:
    steps = [step async for request in requests for step in _steps(request)]
    return _run(steps, ctx)


@model.stream_out("ProcessStreamedOut")
def process_streamed_out(request: pb.Request, ctx: ActionContext) -> Iterator[_Result]:
    for group in request.groups:
        yield _run(group.steps, ctx)


@model.streamed("ProcessStreamed")
async def process_streamed(requests: AsyncIterator[pb.Request], ctx: ActionContext) -> AsyncIterator[_Result]:
    async for request in requests:
        for group in request.groups:
            yield _run(group.steps, ctx)


@two.unary("Call")
def call(request: pb.OtherRequest, ctx: ActionContext) -> pb.Response:
    return pb.Response()


entities = [model, two]
