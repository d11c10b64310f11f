"""The ValueEntity protocol, driven by a client that plays the proxy (spec/10-value-entities.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cloudstate import value_entity_pb2 as ve
from cloudstate.tck.model import valueentity_pb2 as pb
from cloudstate_sdk import unpack
from sdk_harness import Stream, ve_command, ve_init

MODEL = "cloudstate.tck.model.valueentity.ValueEntityTckModel"
TWO = "cloudstate.tck.model.valueentity.ValueEntityTwo"
OpenStream = Callable[[], Stream]


def request(entity_id: str, *steps: str) -> pb.Request:
    """ "u:X" update, "d" delete, "f:ID" forward, "s:ID"/"a:ID" sync/async effect, "x:MSG" fail."""
    actions = []
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "u":
            actions.append(pb.RequestAction(update=pb.Update(value=arg)))
        elif kind == "d":
            actions.append(pb.RequestAction(delete=pb.Delete()))
        elif kind == "f":
            actions.append(pb.RequestAction(forward=pb.Forward(id=arg)))
        elif kind in "sa":
            actions.append(pb.RequestAction(effect=pb.Effect(id=arg, synchronous=kind == "s")))
        elif kind == "x":
            actions.append(pb.RequestAction(fail=pb.Fail(message=arg)))
    return pb.Request(id=entity_id, actions=actions)


async def process(stream: Stream, command_id: int, *steps: str, entity_id: str = "v1") -> ve.ValueEntityReply:
    await stream.send(ve_command(command_id, "Process", request(entity_id, *steps), entity_id))
    out = await stream.receive()
    assert out.WhichOneof("message") == "reply", out
    reply: ve.ValueEntityReply = out.reply
    assert reply.command_id == command_id
    return reply


def message(reply: ve.ValueEntityReply) -> str:
    return str(unpack(reply.client_action.reply.payload).message)


async def test_init_without_state_update_and_read(ve_stream: OpenStream) -> None:
    stream = ve_stream()
    await stream.send(ve_init(MODEL, "v1"))
    empty = await process(stream, 1)
    assert message(empty) == ""
    assert not empty.HasField("state_action")
    updated = await process(stream, 2, "u:A")
    assert message(updated) == "A"
    assert unpack(updated.state_action.update.value) == pb.Persisted(value="A")
    assert message(await process(stream, 3)) == "A"
    assert await stream.close() == []


async def test_init_with_stored_state(ve_stream: OpenStream) -> None:
    stream = ve_stream()
    await stream.send(ve_init(MODEL, "v1", pb.Persisted(value="stored")))
    assert message(await process(stream, 1)) == "stored"


@pytest.mark.parametrize(
    ("steps", "action", "value"),
    [
        (("u:A", "u:B", "u:C"), "update", "C"),
        (("u:A", "d", "u:B"), "update", "B"),
        (("u:A", "u:B", "d"), "delete", None),
    ],
)
async def test_last_state_action_wins(ve_stream: OpenStream, steps: tuple[str, ...], action: str, value: str) -> None:
    stream = ve_stream()
    await stream.send(ve_init(MODEL, "v1"))
    reply = await process(stream, 1, *steps)
    assert reply.state_action.WhichOneof("action") == action
    if value is not None:
        assert unpack(reply.state_action.update.value).value == value
    assert message(reply) == (value or "")


async def test_delete_forward_and_effects(ve_stream: OpenStream) -> None:
    stream = ve_stream()
    await stream.send(ve_init(MODEL, "v1", pb.Persisted(value="old")))
    reply = await process(stream, 1, "d", "a:e1", "s:e2", "f:target")
    assert reply.state_action.HasField("delete")
    forward = reply.client_action.forward
    assert (forward.service_name, forward.command_name, unpack(forward.payload).id) == (TWO, "Call", "target")
    assert [(e.command_name, unpack(e.payload).id, e.synchronous) for e in reply.side_effects] == [
        ("Call", "e1", False),
        ("Call", "e2", True),
    ]
    assert message(await process(stream, 2)) == ""


async def test_failure_carries_no_state_action_and_keeps_state(ve_stream: OpenStream) -> None:
    stream = ve_stream()
    await stream.send(ve_init(MODEL, "v1", pb.Persisted(value="kept")))
    failed = await process(stream, 1, "u:lost", "s:x", "x:refused", "u:ignored")
    assert failed.client_action.failure.description == "refused"
    assert failed.client_action.failure.command_id == 1
    assert not failed.HasField("state_action")
    assert not failed.side_effects
    assert message(await process(stream, 2)) == "kept"


MALFORMED: dict[str, tuple[list[ve.ValueEntityStreamIn], str]] = {
    "command before init": ([ve_command(1, "Process", request("v1"), "v1")], "expected init"),
    "second init": ([ve_init(MODEL, "v1"), ve_init(MODEL, "v1")], "second init"),
    "unknown service": ([ve_init("no.such.Service", "v1")], "'no.such.Service'"),
    "unknown command": ([ve_init(MODEL, "v1"), ve_command(1, "Nope", request("v1"), "v1")], "no method 'Nope'"),
    "wrong payload type": (
        [ve_init(MODEL, "v1"), ve_command(1, "Process", pb.Persisted(), "v1")],
        "cloudstate.tck.model.valueentity.Persisted",
    ),
    "command for another entity": (
        [ve_init(MODEL, "v1"), ve_command(1, "Process", request("v2"), "v2")],
        "is for entity 'v2'",
    ),
    "empty message": ([ve_init(MODEL, "v1"), ve.ValueEntityStreamIn()], "nothing set"),
}


@pytest.mark.parametrize("case", MALFORMED)
async def test_malformed_input_fails_only_that_stream(ve_stream: OpenStream, case: str) -> None:
    messages, text = MALFORMED[case]
    healthy = ve_stream()
    await healthy.send(ve_init(MODEL, "healthy"))
    assert message(await process(healthy, 1, "u:A", entity_id="healthy")) == "A"
    broken = ve_stream()
    for item in messages:
        await broken.send(item)
    out = await broken.rest()
    assert [m.WhichOneof("message") for m in out] == ["failure"]
    assert text in out[0].failure.description
    assert message(await process(healthy, 2, "u:B", entity_id="healthy")) == "B"
