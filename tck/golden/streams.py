"""A crowd of event-sourced streams: a hundred at once, independent of each other, state dropped when they end.

The machines keep a handful of streams open; this scenario holds a hundred
(TRN-028) and shows that a violation on one, or the cancellation of half of
them, changes nothing for the others (TRN-027, FAIL-045), and that an entity
whose stream was cancelled or failed starts again from its next init alone
(TRN-034, FAIL-016, TRN-026).
"""

from __future__ import annotations

from cloudstate import event_sourced_pb2 as pb

from tck.checks import Check, Recorder
from tck.golden.eventsourced import MODEL, Stream, answer, command, emit, init, open_stream, state
from tck.machines import entity as common
from tck.sdk.driver import UserFunction

HUNDRED = Check("golden.streams.hundred", ("TRN-028",), "a hundred streams open at once, and new ones still accepted")
INDEPENDENT = Check(
    "golden.streams.independent", ("TRN-027", "FAIL-045"), "a failed or cancelled stream does not hold up the others"
)
DROPPED = Check(
    "golden.streams.dropped",
    ("TRN-034", "FAIL-016", "TRN-026"),
    "after a cancel or a stream-level failure, the entity's state comes from its next init alone",
)
VIOLATION = Check("golden.streams.violation", ("FAIL-038",), "a second init is a protocol violation")
COUNT = 100


def _entity(n: int) -> str:
    return f"crowd-{n}"


def _value(n: int) -> str:
    """The one event of entity n: a character of its own, so that crossed streams show."""
    return chr(0x4E00 + n)


def _all_answer(streams: dict[int, Stream], command_id: int, check: Check) -> None:
    """Send a command to every stream before reading any answer, so that all are busy at once."""
    for n, stream in streams.items():
        stream.check = check
        stream.send(command(command_id, _entity(n)))
    for n, stream in streams.items():
        stream.expect(answer(command_id, state(_value(n))))


def hundred_independent_streams(uf: UserFunction, rec: Recorder) -> None:
    streams = {n: open_stream(uf, rec, HUNDRED, init(_entity(n))) for n in range(COUNT)}
    for n, stream in streams.items():
        stream.send(command(1, _entity(n), *emit(_value(n))))
    for n, stream in streams.items():
        stream.expect(answer(1, state(_value(n)), _value(n)))
    newcomer = open_stream(uf, rec, HUNDRED, init("crowd-new"))
    newcomer.send(command(1, "crowd-new", *emit("N")))
    newcomer.expect(answer(1, state("N"), "N"))
    newcomer.end()

    broken = streams.pop(0)
    broken.send(pb.EventSourcedStreamIn(init=pb.EventSourcedInit(service_name=MODEL, entity_id=_entity(0))))
    common.expect_violation_failure(rec, broken.stream, VIOLATION, frozenset({0}))
    _all_answer(streams, 2, INDEPENDENT)

    for n in range(1, COUNT // 2):
        streams.pop(n).stream.cancel()
    _all_answer(streams, 3, INDEPENDENT)

    # The store the TCK plays says entity 1 has no events and entity 0 has one, "Z": what the user function
    # held in memory for them before must be gone.
    for entity, events, expected in ((_entity(1), (), ""), (_entity(0), ("Z",), "Z")):
        again = open_stream(uf, rec, DROPPED, init(entity, None, *events))
        again.send(command(1, entity))
        again.expect(answer(1, state(expected)))
        again.end()
    for stream in streams.values():
        stream.end()
