"""What the event-sourced and value-entity machines share: one open entity stream and its checks.

Both protocols have a stream per entity whose out messages are either a reply
or a stream-level ``Failure``; the helpers here receive the next out message,
wait for the stream's end, and check a user function's answer to a protocol
violation by the TCK (spec 06: FAIL-013, FAIL-015, FAIL-017, FAIL-044).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from google.protobuf import empty_pb2
from google.protobuf.message import Message

from tck.checks import Check, Recorder
from tck.sdk.streams import Closed, DuplexStream, Silence

VIOLATION_PREFIX = Check(
    "entity.violation.description",
    ("FAIL-044",),
    "a Failure for a proxy's protocol violation starts 'protocol violation: '",
)
VIOLATION_COMMAND_ID = Check(
    "entity.violation.command_id", ("FAIL-013",), "a stream-level Failure names the command being handled, else 0"
)
SILENT_AFTER_FAILURE = Check("entity.failure.last", ("FAIL-015",), "nothing follows a stream-level Failure")
ENDS_AFTER_FAILURE = Check(
    "entity.failure.ends", ("FAIL-017",), "the user function ends its side after a stream-level Failure", advisory=True
)
# How long to wait for a stream to end where the spec only recommends that it end at once.
GRACE = 1.0


# EventSourcedStreamOut, ValueEntityStreamOut (a reply or a stream-level failure) or ActionResponse.
Out = TypeVar("Out", bound=Message)
E = TypeVar("E")


@dataclasses.dataclass
class Live(Generic[Out, E]):
    """An entity with an open stream: the stream, the model's view of it and the next command id."""

    stream: DuplexStream[Any, Out]
    entity: E
    next_id: int = 1
    #: Whether a reply on this stream has shown the state (so a later wrong state has a narrower cause).
    seen_state: bool = False

    def take_id(self) -> int:
        """The id for the next command: 1, 2, ... per stream (CMD-002)."""
        self.next_id += 1
        return self.next_id - 1


def describe(item: object) -> str:
    if isinstance(item, Closed):
        return f"the stream ended with {item.code.name} {item.details!r}"
    if isinstance(item, Silence):
        return f"nothing within {item.seconds} s"
    return f"{type(item).__name__} {item}"


def receive(rec: Recorder, stream: DuplexStream[Any, Out], check: Check, expecting: str) -> Out:
    """The next out message; anything else (end of stream, silence) fails ``check``."""
    item = stream.receive()
    if isinstance(item, Closed | Silence):
        rec.fail(check, f"expected {expecting}, got {describe(item)}")
    return item


def expect_end(rec: Recorder, stream: DuplexStream[Any, Out], check: Check) -> None:
    """After the TCK's half-close the user function completes the stream, with status OK, sending nothing."""
    item = stream.receive()
    rec.require(
        check, isinstance(item, Closed) and item.ok, f"expected the stream to complete OK, got {describe(item)}"
    )


def expect_violation_failure(
    rec: Recorder, stream: DuplexStream[Any, Out], check: Check, command_ids: frozenset[int]
) -> None:
    """The user function answers a violation with a stream-level Failure and gives the stream up."""
    out: Any = receive(rec, stream, check, "a stream-level failure")
    rec.require(check, out.WhichOneof("message") == "failure", f"expected a stream-level failure, got {out}")
    failure = out.failure
    rec.require(VIOLATION_PREFIX, failure.description.startswith("protocol violation: "), repr(failure.description))
    rec.require(
        VIOLATION_COMMAND_ID,
        failure.command_id in command_ids,
        f"command id {failure.command_id}, not in {set(command_ids)}",
    )
    after_failure(rec, stream)


def after_failure(rec: Recorder, stream: DuplexStream[Any, Out]) -> None:
    """Nothing may follow a stream-level Failure; the stream should end soon."""
    item = stream.receive(GRACE)
    if isinstance(item, Closed | Silence):
        rec.ok(SILENT_AFTER_FAILURE)
    else:
        rec.fail(SILENT_AFTER_FAILURE, f"received {item} after the stream-level failure")
    if isinstance(item, Silence):
        rec.miss(ENDS_AFTER_FAILURE, f"the stream was still open {GRACE} s after the failure")
    else:
        rec.ok(ENDS_AFTER_FAILURE)
    stream.cancel()


In = TypeVar("In", bound=Message)


@dataclasses.dataclass(frozen=True)
class EntityWire(Generic[In]):
    """How one entity protocol builds the messages the machines send, for the violations shared by all."""

    service: str
    init: Callable[[str, str], In]  # an init without state for (service, entity id)
    command: Callable[[int, str, str, Message], In]  # (command id, entity id, name, payload)
    request: Callable[[str, Sequence[Any]], Message]  # the model request for an entity id and model actions
    empty: Callable[[], In]  # an in message with nothing set


SHARED_VIOLATIONS = ("second-init", "other-entity-id", "unknown-command", "wrong-payload-type", "empty-message")


def violation(kind: str, wire: EntityWire[In], entity_id: str, command_id: int) -> In:
    """The in message of a shared protocol violation (FAIL-038, FAIL-040..043) on an open stream."""
    request = wire.request(entity_id, ())
    match kind:
        case "second-init":
            return wire.init(wire.service, entity_id)
        case "other-entity-id":
            return wire.command(command_id, entity_id + "-other", "Process", request)
        case "unknown-command":
            return wire.command(command_id, entity_id, "NoSuchCommand", request)
        case "wrong-payload-type":
            return wire.command(command_id, entity_id, "Process", empty_pb2.Empty())
        case "empty-message":
            return wire.empty()
    raise ValueError(f"no shared violation {kind!r}")


def break_at_start(
    rec: Recorder, stream: DuplexStream[In, Out], wire: EntityWire[In], kind: str, entity_id: str, check: Check
) -> None:
    """A stream that starts with a command, or with an init for a service nobody serves (FAIL-037, FAIL-039)."""
    if kind == "command-before-init":
        stream.send(wire.command(1, entity_id, "Process", wire.request(entity_id, ())))
        expect_violation_failure(rec, stream, check, frozenset({0, 1}))
    else:
        stream.send(wire.init("cloudstate.tck.model.NoSuchService", entity_id))
        expect_violation_failure(rec, stream, check, frozenset({0}))
