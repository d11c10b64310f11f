"""Malformed input and crashing handlers end one event sourced stream with a clear
Failure; other streams on the same server keep working."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from cloudstate import entity_pb2, event_sourced_pb2_grpc
from cloudstate import event_sourced_pb2 as es
from cloudstate.tck.model import eventsourced_pb2 as pb
from cloudstate_sdk import EventSourcedContext, EventSourcedEntity, Metadata, Reply, pack
from cloudstate_sdk.tck_model import eventsourced
from sdk_harness import Stream, es_command, es_event, es_init, serving
from test_sdk_eventsourced_protocol import MODEL, process, reply_message, request

OpenStream = Callable[[], Stream]

MALFORMED: dict[str, tuple[list[es.EventSourcedStreamIn], int, str]] = {
    # case: (messages, failure command id, text the description must contain)
    "command before init": ([es_command(1, "Process", request("e1"), "e1")], 0, "expected init"),
    "second init": ([es_init(MODEL, "e1"), es_init(MODEL, "e1")], 0, "second init"),
    "unknown service": ([es_init("no.such.Service", "e1")], 0, "'no.such.Service'"),
    "unknown command": (
        [es_init(MODEL, "e1"), es_command(1, "Explode", request("e1"), "e1")],
        1,
        "has no method 'Explode'",
    ),
    "wrong payload type": (
        [es_init(MODEL, "e1"), es_command(1, "Process", pb.Persisted(value="x"), "e1")],
        1,
        "cloudstate.tck.model.Persisted",
    ),
    "event without handler": (
        [es_init(MODEL, "e1"), es_event(1, pb.Request(id="e1"))],
        0,
        "no event handler for Request",
    ),
    "event after command": (
        [es_init(MODEL, "e1"), es_command(1, "Process", request("e1"), "e1"), es_event(1, pb.Persisted(value="x"))],
        0,
        "event 1 after a command",
    ),
    "command for another entity": (
        [es_init(MODEL, "e1"), es_command(1, "Process", request("e2"), "e2")],
        1,
        "is for entity 'e2'",
    ),
    "empty message": ([es_init(MODEL, "e1"), es.EventSourcedStreamIn()], 0, "nothing set"),
}


@pytest.mark.parametrize("case", MALFORMED)
async def test_malformed_input_fails_only_that_stream(es_stream: OpenStream, case: str) -> None:
    messages, command_id, text = MALFORMED[case]
    healthy = es_stream()
    await healthy.send(es_init(MODEL, "healthy"))
    assert reply_message(await process(healthy, 1, "e:A", entity_id="healthy")) == "A"

    broken = es_stream()
    for message in messages:
        await broken.send(message)
    out = await broken.rest()
    failures = [m.failure for m in out if m.WhichOneof("message") == "failure"]
    assert len(failures) == 1, out
    assert text in failures[0].description
    assert failures[0].command_id == command_id

    assert reply_message(await process(healthy, 2, "e:B", entity_id="healthy")) == "AB"


crashing = EventSourcedEntity("cloudstate.tck.model.EventSourcedTwo", persistence_id="crashing")


@crashing.command("Call")
def explode(state: None, request: pb.Request, ctx: EventSourcedContext) -> pb.Response:
    raise ZeroDivisionError("the handler divided by zero")


async def test_raising_handler_is_a_stream_failure_naming_entity_command_and_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serving([eventsourced.model, crashing]) as channel:
        stub = event_sourced_pb2_grpc.EventSourcedStub(channel)
        broken, healthy = Stream(stub.handle()), Stream(stub.handle())
        await healthy.send(es_init(MODEL, "h"))
        await broken.send(es_init("cloudstate.tck.model.EventSourcedTwo", "c1"))
        await broken.send(es_command(1, "Call", pb.Request(id="c1"), "c1"))
        (out,) = await broken.rest()
        failure: entity_pb2.Failure = out.failure
        assert failure.command_id == 1
        for part in ("cloudstate.tck.model.EventSourcedTwo/c1", "command 1", "'Call'", "ZeroDivisionError", "divided"):
            assert part in failure.description
        assert reply_message(await process(healthy, 1, "e:A", entity_id="h")) == "A"
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records), "traceback logged"


async def test_snapshot_that_cannot_be_restored_fails_the_stream(es_stream: OpenStream) -> None:
    stream = es_stream()
    init = es_init(MODEL, "e1")
    init.init.snapshot.snapshot_sequence = 5
    init.init.snapshot.snapshot.CopyFrom(pack("not a Persisted"))
    await stream.send(init)
    (out,) = await stream.rest()
    assert "restoring the snapshot at sequence 5" in out.failure.description


class Uncopyable(list[str]):
    def __deepcopy__(self, memo: object) -> Any:
        raise TypeError("no copies")


restarting = EventSourcedEntity("cloudstate.tck.model.EventSourcedTckModel", initial_state=Uncopyable)
restarting.command("Process")(eventsourced.process)


@restarting.event
def append(state: Uncopyable, event: pb.Persisted) -> None:
    state.append(event.value)


async def test_uncopyable_state_fails_with_restart_and_refuses_later_commands() -> None:
    async with serving([restarting]) as channel:
        stream = Stream(event_sourced_pb2_grpc.EventSourcedStub(channel).handle())
        await stream.send(es_init(MODEL, "e1"))
        await stream.send(es_command(1, "Process", request("e1", "e:A", "x:no"), "e1"))
        failure = (await stream.receive()).reply.client_action.failure
        assert (failure.description, failure.restart, failure.command_id) == ("no", True, 1)
        await stream.send(es_command(2, "Process", request("e1"), "e1"))
        (out,) = await stream.rest()
        assert "after asking for a restart" in out.failure.description


async def test_reply_metadata_reaches_the_proxy() -> None:
    headers = EventSourcedEntity("cloudstate.tck.model.EventSourcedTwo")

    @headers.command("Call")
    def call(state: None, request: pb.Request, ctx: EventSourcedContext) -> Reply:
        return Reply(pb.Response(), Metadata([("x-echo", ctx.metadata.get("x-in") or ""), ("raw-bin", b"\x01")]))

    async with serving([headers]) as channel:
        stream = Stream(event_sourced_pb2_grpc.EventSourcedStub(channel).handle())
        await stream.send(es_init("cloudstate.tck.model.EventSourcedTwo", "t"))
        await stream.send(es_command(1, "Call", pb.Request(id="t"), "t", metadata={"x-in": "hello"}))
        entries = (await stream.receive()).reply.client_action.reply.metadata.entries
        assert [(e.key, e.WhichOneof("value")) for e in entries] == [
            ("x-echo", "string_value"),
            ("raw-bin", "bytes_value"),
        ]
        assert entries[0].string_value == "hello"
