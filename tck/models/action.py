"""Reference model of the TCK action (cloudstate.tck.model.action.ActionTckModel).

A request holds groups of steps; the steps of a group fold into one response:
the last reply, forward or fail step decides the outcome (none of them: no
reply), and effect steps collect side effects in order, which go with any
outcome, a failure included (the lead's addendum; action.proto). The four call
shapes only differ in how groups map to responses; see spec 11 and
spec/proto/cloudstate/tck/model/action.proto.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from tck.models.effects import Call, ClientOutcome, Failed, Forwarded, NoReply, Replied, SideEffect
from tck.models.scripts import Effect, Fail, Forward, Skip

SERVICE = "cloudstate.tck.model.action.ActionTckModel"
TWO = "cloudstate.tck.model.action.ActionTwo"
UNARY, STREAMED_IN, STREAMED_OUT, STREAMED = (
    "ProcessUnary",
    "ProcessStreamedIn",
    "ProcessStreamedOut",
    "ProcessStreamed",
)


@dataclasses.dataclass(frozen=True)
class Reply:
    message: str


Step = Reply | Forward | Fail | Effect | Skip
Group = tuple[Step, ...]
Request = tuple[Group, ...]


@dataclasses.dataclass(frozen=True)
class Response:
    """One predicted `ActionResponse`: the outcome and the side effects."""

    client: ClientOutcome
    effects: tuple[SideEffect, ...]


def fold(steps: Iterable[Step]) -> Response:
    """Turn steps into one response: later outcome steps override earlier ones."""
    client: ClientOutcome = NoReply()
    effects: list[SideEffect] = []
    for step in steps:
        match step:
            case Reply(message):
                client = Replied(message)
            case Forward(id):
                client = Forwarded(Call(TWO, "Call", id))
            case Fail(message):
                client = Failed(message)
            case Effect(id, synchronous):
                effects.append(SideEffect(Call(TWO, "Call", id), synchronous))
            case Skip():
                pass
    return Response(client, tuple(effects))


def unary(request: Request) -> Response:
    """`ProcessUnary`: every group of the request as one group."""
    return fold(step for group in request for step in group)


def streamed_in(requests: Sequence[Request]) -> Response:
    """`ProcessStreamedIn`: every group of every request as one group, after the stream ends."""
    return fold(step for request in requests for group in request for step in group)


def streamed_out(request: Request) -> tuple[Response, ...]:
    """`ProcessStreamedOut`: one response per group, in order."""
    return tuple(fold(group) for group in request)


def streamed(requests: Sequence[Request]) -> tuple[tuple[Response, ...], ...]:
    """`ProcessStreamed`: for each request as it arrives, one response per group."""
    return tuple(streamed_out(request) for request in requests)


def call_two() -> Response:
    """`ActionTwo/Call`: an empty reply."""
    return Response(Replied(""), ())


# The shared steps are part of this model's vocabulary: action.Forward, action.Fail, ...
__all__ = [
    "SERVICE",
    "STREAMED",
    "STREAMED_IN",
    "STREAMED_OUT",
    "TWO",
    "UNARY",
    "Effect",
    "Fail",
    "Forward",
    "Group",
    "Reply",
    "Request",
    "Response",
    "Skip",
    "Step",
    "call_two",
    "fold",
    "streamed",
    "streamed_in",
    "streamed_out",
    "unary",
]
