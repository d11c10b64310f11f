"""Event-sourced entities through the testing module (no proxy)."""

from __future__ import annotations

from typing import Any

import pytest
from cloudstate.tck.model import eventsourced_pb2 as pb
from cloudstate_sdk import (
    EventSourcedContext,
    EventSourcedEntity,
    Failure,
    HandlerError,
    PayloadError,
    Reply,
    pack_json,
)
from cloudstate_sdk.tck_model import eventsourced
from cloudstate_sdk.testing import EventSourcedTestKit
from hypothesis import given
from hypothesis import strategies as st


def emits(*values: str, fail: str | None = None) -> pb.Request:
    actions = [pb.RequestAction(emit=pb.Emit(value=v)) for v in values]
    if fail is not None:
        actions.append(pb.RequestAction(fail=pb.Fail(message=fail)))
    return pb.Request(id="e", actions=actions)


@given(st.lists(st.lists(st.sampled_from("abc"), max_size=7), max_size=12))
def test_snapshot_rule_and_replay_equivalence(batches: list[list[str]]) -> None:
    """ES-000:everyn: a reply snapshots iff one of its events' sequence numbers is a multiple of 5."""
    kit = EventSourcedTestKit(eventsourced.model, "e")
    last_snapshot: tuple[int, Any] | None = None
    for batch in batches:
        before = kit.sequence_number
        result = kit.handle("Process", emits(*batch))
        crossed = any(seq % 5 == 0 for seq in range(before + 1, before + len(batch) + 1))
        assert (result.snapshot is not None) == crossed
        if crossed:
            assert result.snapshot == pb.Persisted(value=kit.state)
            last_snapshot = (kit.sequence_number, result.snapshot)
    # Rebuilding from the latest snapshot plus later events gives the same state.
    sequence, snapshot = last_snapshot or (0, None)
    rebuilt = EventSourcedTestKit(
        eventsourced.model, "e", snapshot=snapshot, snapshot_sequence=sequence, events=kit.events[sequence:]
    )
    assert rebuilt.state == kit.state
    assert rebuilt.sequence_number == kit.sequence_number


def test_failure_after_emit_is_rolled_back() -> None:
    kit = EventSourcedTestKit(eventsourced.model, "e")
    kit.handle("Process", emits("A"))
    failed = kit.handle("Process", emits("B", "C", fail="nope"))
    assert failed.failure == "nope"
    assert failed.events == []
    assert failed.reply is None
    assert not failed.restart
    assert (kit.state, kit.sequence_number, kit.events) == ("A", 1, [pb.Persisted(value="A")])


cart = EventSourcedEntity("cloudstate.tck.model.EventSourcedTckModel", initial_state=list)


class Uncopyable(list[str]):
    def __deepcopy__(self, memo: object) -> Any:
        raise TypeError("no copies")


@cart.command("Process")
async def process(state: list[str], request: pb.Request, ctx: EventSourcedContext) -> Any:
    for action in request.actions:
        if action.HasField("emit"):
            ctx.emit(pb.Persisted(value=action.emit.value))
        if action.HasField("fail"):
            return Failure(action.fail.message)
    if request.id == "reply-with-headers":
        return Reply(pb.Response(message="|".join(ctx.state)), ctx.metadata)
    if request.id == "wrong-type":
        return pb.Persisted()
    if request.id == "empty-reply":
        return None
    return pb.Response(message=f"{ctx.entity_id}:{ctx.command_id}:{ctx.command_name}:{ctx.sequence_number}")


@cart.event
def appended(state: list[str], event: pb.Persisted) -> None:
    state.append(event.value)  # in place: the SDK copies the state before the first emit


def test_in_place_event_handlers_roll_back_too() -> None:
    kit = EventSourcedTestKit(cart, "c")
    kit.handle("Process", emits("x"))
    assert kit.handle("Process", emits("y", "z", fail="no")).failure == "no"
    assert kit.state == ["x"]


def test_context_carries_ids_metadata_and_sequence() -> None:
    kit = EventSourcedTestKit(cart, "c")
    first = kit.handle("Process", emits("a"))
    assert first.reply == pb.Response(message="c:1:Process:1")
    request = emits("b")
    request.id = "reply-with-headers"
    second = kit.handle("Process", request, metadata={"x-user": "ann"})
    assert second.reply == pb.Response(message="a|b")
    assert second.reply_metadata.get("X-User") == "ann"


def test_uncopyable_state_asks_for_a_restart() -> None:
    entity = EventSourcedEntity("cloudstate.tck.model.EventSourcedTckModel", initial_state=Uncopyable)
    entity.command("Process")(process)
    entity.event(pb.Persisted)(appended)
    kit = EventSourcedTestKit(entity, "c")
    assert kit.handle("Process", emits("a", fail="broken")).restart


def test_none_reply_is_the_empty_output() -> None:
    request = emits("q")
    request.id = "empty-reply"
    assert EventSourcedTestKit(cart, "c").handle("Process", request).reply == pb.Response()


def test_handler_rule_breaks_raise() -> None:
    kit = EventSourcedTestKit(cart, "c")
    request = pb.Request(id="wrong-type")
    with pytest.raises(HandlerError, match=r"replied with a cloudstate\.tck\.model\.Persisted message"):
        kit.handle("Process", request)
    with pytest.raises(PayloadError, match=r"takes a cloudstate\.tck\.model\.Request"):
        kit.handle("Process", pb.Response())


def test_emitting_an_event_without_handler() -> None:
    entity = EventSourcedEntity("cloudstate.tck.model.EventSourcedTckModel")

    @entity.command("Process")
    def emit_unknown(state: None, request: pb.Request, ctx: EventSourcedContext) -> None:
        ctx.emit(pb.Response())

    with pytest.raises(HandlerError, match="no event handler for Response"):
        EventSourcedTestKit(entity).handle("Process", pb.Request())


async def test_async_variant_in_a_running_loop() -> None:
    kit = EventSourcedTestKit(eventsourced.model, "e")
    assert (await kit.handle_async("Process", emits("A"))).reply == pb.Response(message="A")
    # The plain form also works here, because the handler never waits.
    assert kit.handle("Process", emits("B")).reply == pb.Response(message="AB")


def test_an_event_emitted_packed_reaches_its_handler_unpacked() -> None:
    """pack_json(..., "Name") chooses the JSON type name; handlers see the data, at emit and at replay alike."""
    journal = EventSourcedEntity("cloudstate.tck.model.EventSourcedTckModel", initial_state=list)

    @journal.command("Process")
    def process(state: list[str], request: pb.Request, ctx: EventSourcedContext) -> pb.Response:
        for action in request.actions:
            ctx.emit(pack_json({"value": action.emit.value}, "Noted"))
        return pb.Response(message=",".join(state))

    @journal.event(dict)
    def noted(state: list[str], event: dict[str, str]) -> None:
        state.append(event["value"])

    kit = EventSourcedTestKit(journal, "j")
    result = kit.handle("Process", emits("a", "b"))
    assert result.reply == pb.Response(message="a,b")
    assert [e.type_url for e in result.events] == ["json.cloudstate.io/Noted"] * 2
    assert EventSourcedTestKit(journal, "j", events=kit.events).state == ["a", "b"]
