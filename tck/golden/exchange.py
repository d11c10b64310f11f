"""Playing a fixed exchange on one entity stream: send these messages, expect exactly those answers.

Expected answers are written out by hand in the scenarios (not derived from
``tck.models``), so the scenarios also check the models. Comparisons ignore
only what the spec leaves to the implementation: metadata and the
``restart`` and ``command_id`` of an application failure (the scenarios handle
a restart explicitly).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from cloudstate import action_pb2
from google.protobuf.message import Message

from tck.checks import Check, Recorder
from tck.machines import action as action_machine
from tck.machines import entity as common
from tck.sdk.streams import Closed, DuplexStream
from tck.wire.common import normalised_action, normalised_effects

Out = TypeVar("Out", bound=Message)
Scenario = Callable[..., None]


def normalised(message: Message) -> Message:
    """A copy of an entity stream's out message or an ActionResponse, without what scenarios ignore."""
    if isinstance(message, action_pb2.ActionResponse):
        return action_machine.normalised(message)
    copy = type(message)()
    copy.CopyFrom(message)
    if copy.WhichOneof("message") == "reply":
        reply: Any = getattr(copy, "reply")  # noqa: B009 (EventSourcedReply or ValueEntityReply)
        if reply.HasField("client_action"):
            reply.client_action.CopyFrom(normalised_action(reply.client_action, failure_id=False))
        effects = normalised_effects(reply.side_effects)
        del reply.side_effects[:]
        reply.side_effects.extend(effects)
    return copy


def expect_answer(rec: Recorder, check: Check, expected: Message, observed: Message | Closed) -> None:
    """A unary answer (or the end of a call) equals ``expected`` up to what :func:`normalised` ignores."""
    if isinstance(observed, Closed):
        rec.fail(check, f"expected {expected}, got {common.describe(observed)}")
    rec.expect(check, normalised(expected), normalised(observed))


class Exchange(Generic[Out]):
    """One stream of a scenario; every mismatch fails the scenario's check."""

    def __init__(self, rec: Recorder, check: Check, stream: DuplexStream[Any, Out]) -> None:
        self.rec, self.check, self.stream = rec, check, stream

    def send(self, *messages: Message) -> None:
        self.stream.send(*messages)

    def expect(self, expected: Out) -> Out:
        """The next answer equals ``expected`` (up to what :func:`normalised` ignores); returns it as received."""
        observed = common.receive(self.rec, self.stream, self.check, f"{expected}")
        expect_answer(self.rec, self.check, expected, observed)
        return observed

    def end(self) -> None:
        """Half-close; the user function completes the stream with nothing more."""
        self.stream.half_close()
        common.expect_end(self.rec, self.stream, self.check)
