"""Fixed action scenarios from the upstream TCK, as exact exchanges with ActionTckModel."""

from __future__ import annotations

from cloudstate import action_pb2, entity_pb2
from cloudstate.tck.model import action_pb2 as tck

from tck.checks import Check, Recorder
from tck.golden.exchange import Exchange, Scenario, expect_answer
from tck.sdk.driver import UserFunction
from tck.wire.common import pack

MODEL, TWO = "cloudstate.tck.model.action.ActionTckModel", "cloudstate.tck.model.action.ActionTwo"


def request(*groups: list[tck.ProcessStep]) -> action_pb2.ActionCommand:
    return action_pb2.ActionCommand(payload=pack(tck.Request(groups=[tck.ProcessGroup(steps=g) for g in groups])))


def reply(message: str) -> tck.ProcessStep:
    return tck.ProcessStep(reply=tck.Reply(message=message))


def effect(other: str, synchronous: bool) -> tck.ProcessStep:
    return tck.ProcessStep(effect=tck.SideEffect(id=other, synchronous=synchronous))


def side_effect(other: str, synchronous: bool) -> entity_pb2.SideEffect:
    payload = pack(tck.OtherRequest(id=other))
    return entity_pb2.SideEffect(service_name=TWO, command_name="Call", payload=payload, synchronous=synchronous)


def replied(message: str, *effects: entity_pb2.SideEffect) -> action_pb2.ActionResponse:
    return action_pb2.ActionResponse(
        reply=entity_pb2.Reply(payload=pack(tck.Response(message=message))), side_effects=effects
    )


UNARY = Check("golden.action.unary", ("TCKM-053", "TCKM-049", "TCKM-050"), "a unary reply with side effects")


def unary_reply_with_side_effects(uf: UserFunction, rec: Recorder) -> None:
    command = request([reply("one"), effect("a", True)], [effect("b", False), reply("two")])
    command.service_name, command.name = MODEL, "ProcessUnary"
    observed = uf.action_unary(command)
    expected = replied("two", side_effect("a", True), side_effect("b", False))
    expect_answer(rec, UNARY, expected, observed)


STREAMED_IN = Check("golden.action.streamed_in", ("TCKM-054",), "no requests give a response without an outcome")


def streamed_in_without_requests(uf: UserFunction, rec: Recorder) -> None:
    observed = uf.action_streamed_in([action_pb2.ActionCommand(service_name=MODEL, name="ProcessStreamedIn")])
    expect_answer(rec, STREAMED_IN, action_pb2.ActionResponse(), observed)


DUPLEX = Check("golden.action.duplex", ("TCKM-056", "TCKM-057"), "one response per group, going on after a failure")


def duplex_goes_on_after_a_failure(uf: UserFunction, rec: Recorder) -> None:
    s = Exchange(rec, DUPLEX, uf.action_streamed())
    s.send(action_pb2.ActionCommand(service_name=MODEL, name="ProcessStreamed"))
    s.send(request([reply("one")], [tck.ProcessStep(forward=tck.Forward(id="f"))]))
    s.expect(replied("one"))
    target = entity_pb2.Forward(service_name=TWO, command_name="Call", payload=pack(tck.OtherRequest(id="f")))
    s.expect(action_pb2.ActionResponse(forward=target))
    s.send(request([tck.ProcessStep(fail=tck.Fail(message="stop"))], []))
    s.expect(action_pb2.ActionResponse(failure=entity_pb2.Failure(description="stop")))
    s.expect(action_pb2.ActionResponse())
    s.send(request([reply("after")]))
    s.expect(replied("after"))
    s.end()


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f for f in (unary_reply_with_side_effects, streamed_in_without_requests, duplex_goes_on_after_a_failure)
}
