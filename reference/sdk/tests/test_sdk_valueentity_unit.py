"""Value entities through the testing module (no proxy)."""

from __future__ import annotations

import pytest
from cloudstate.tck.model import valueentity_pb2 as pb
from cloudstate_sdk import HandlerError, ValueEntity, ValueEntityContext
from cloudstate_sdk.tck_model import valueentity
from cloudstate_sdk.testing import ValueEntityTestKit


def actions(*steps: pb.RequestAction) -> pb.Request:
    return pb.Request(id="v", actions=steps)


def UPDATE(value: str) -> pb.RequestAction:
    return pb.RequestAction(update=pb.Update(value=value))


DELETE = pb.RequestAction(delete=pb.Delete())


def test_update_delete_and_starting_state() -> None:
    kit = ValueEntityTestKit(valueentity.model, "v", state=pb.Persisted(value="start"))
    assert kit.handle("Process", actions()).reply == pb.Response(message="start")
    updated = kit.handle("Process", actions(UPDATE("A"), UPDATE("B")))
    assert (updated.state_action, updated.state) == ("update", pb.Persisted(value="B"))
    deleted = kit.handle("Process", actions(UPDATE("C"), DELETE))
    assert (deleted.state_action, deleted.state, deleted.reply) == ("delete", None, pb.Response(message=""))


def test_failure_keeps_the_stored_state_even_after_in_place_changes() -> None:
    entity = ValueEntity("cloudstate.tck.model.valueentity.ValueEntityTckModel", initial_state=dict)

    @entity.command("Process")
    def process(state: dict[str, int], request: pb.Request, ctx: ValueEntityContext) -> pb.Response:
        state["count"] = state.get("count", 0) + 1  # changes the state object in place
        ctx.update_state(state)
        if request.actions:
            ctx.fail("rejected")
        return pb.Response(message=str(state["count"]))

    kit = ValueEntityTestKit(entity, "v")
    assert kit.handle("Process", actions()).reply == pb.Response(message="1")
    failed = kit.handle("Process", actions(DELETE))
    assert failed.failure == "rejected"
    assert failed.state_action is None
    assert kit.state == {"count": 1}
    assert kit.handle("Process", actions()).reply == pb.Response(message="2")


def test_update_state_refuses_none() -> None:
    entity = ValueEntity("cloudstate.tck.model.valueentity.ValueEntityTckModel")

    @entity.command("Process")
    def process(state: None, request: pb.Request, ctx: ValueEntityContext) -> None:
        ctx.update_state(None)

    with pytest.raises(HandlerError, match="delete_state"):
        ValueEntityTestKit(entity).handle("Process", actions())
