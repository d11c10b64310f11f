"""Actions through the testing module (no proxy): every shape, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from cloudstate.tck.model import action_pb2 as pb
from cloudstate_examples.greeter import greeter, greeter_pb2
from cloudstate_sdk import Action, ActionContext, HandlerError, PayloadError
from cloudstate_sdk.testing import ActionTestKit

kit = ActionTestKit(greeter)


def test_unary_and_stream_in() -> None:
    assert kit.unary("Greet", greeter_pb2.Hello(name="Ada")).reply == greeter_pb2.Greeting(text="Hello, Ada!")
    both = kit.stream_in("GreetAll", [greeter_pb2.Hello(name="A"), greeter_pb2.Hello(name="B")])
    assert both.reply == greeter_pb2.Greeting(text="Hello, A, B!")
    assert kit.stream_in("GreetAll", []).failure == "Nobody to greet."


def test_stream_out_and_duplex() -> None:
    out = kit.stream_out("GreetRepeatedly", greeter_pb2.Hello(name="x", times=3))
    assert [r.reply for r in out] == [greeter_pb2.Greeting(text="Hello, x!")] * 3
    chat = kit.streamed("Chat", [greeter_pb2.Hello(name="a"), greeter_pb2.Hello()])
    assert [r.reply for r in chat] == [greeter_pb2.Greeting(text=t) for t in ("Hello, a!", "Hello, stranger!")]


def test_wrong_shape_or_type_in_the_kit() -> None:
    with pytest.raises(PayloadError, match=r"use ActionTestKit\.stream_in"):
        kit.unary("GreetAll", greeter_pb2.Hello())
    with pytest.raises(PayloadError, match=r"takes a com\.example\.greeter\.Hello"):
        kit.unary("Greet", greeter_pb2.Greeting())


shapes = Action(greeter_pb2.DESCRIPTOR.services_by_name["Greeter"])


@shapes.unary("Greet")
async def greet(hello: greeter_pb2.Hello, ctx: ActionContext) -> None:
    ctx.effect(shapes.call_ref("Greet").create_call(greeter_pb2.Hello(name="again")), synchronous=True)
    ctx.forward(shapes.call_ref("Greet").create_call(greeter_pb2.Hello(name="fwd")))


@shapes.stream_in("GreetAll")
def greet_all(hellos: Iterator[greeter_pb2.Hello], ctx: ActionContext) -> greeter_pb2.Greeting:
    return greeter_pb2.Greeting(text=",".join(h.name for h in hellos))  # a plain function gets a plain iterator


@shapes.stream_out("GreetRepeatedly")
async def repeat(hello: greeter_pb2.Hello, ctx: ActionContext) -> AsyncIterator[greeter_pb2.Greeting]:
    yield greeter_pb2.Greeting(text="one")
    ctx.effect(shapes.call_ref("Greet").create_call(greeter_pb2.Hello()))  # after the last result
    if hello.times:
        ctx.fail("stopped")


@shapes.handler("Chat")
def chat(hellos: Iterator[greeter_pb2.Hello], ctx: ActionContext) -> list[greeter_pb2.Hello]:
    return list(hellos)  # the wrong type: Chat returns Greeting


def test_forward_recorded_on_the_context_with_effects() -> None:
    result = ActionTestKit(shapes).unary("Greet", greeter_pb2.Hello())
    assert result.reply is None
    assert result.forward is not None
    assert result.forward.message == greeter_pb2.Hello(name="fwd")
    assert [(e.call.message, e.synchronous) for e in result.effects] == [(greeter_pb2.Hello(name="again"), True)]


def test_plain_stream_in_and_trailing_effects_and_fail() -> None:
    shapes_kit = ActionTestKit(shapes)
    assert shapes_kit.stream_in("GreetAll", [greeter_pb2.Hello(name="p")]).reply == greeter_pb2.Greeting(text="p")
    trailing = shapes_kit.stream_out("GreetRepeatedly", greeter_pb2.Hello())
    assert [(r.reply is not None, len(r.effects)) for r in trailing] == [(True, 0), (False, 1)]
    failed = shapes_kit.stream_out("GreetRepeatedly", greeter_pb2.Hello(times=1))
    assert failed[-1].failure == "stopped"
    assert len(failed[-1].effects) == 1


def test_results_of_the_wrong_type_raise() -> None:
    with pytest.raises(HandlerError, match=r"replied with a com\.example\.greeter\.Hello message"):
        ActionTestKit(shapes).streamed("Chat", [greeter_pb2.Hello()])


def test_tck_action_two() -> None:
    from cloudstate_sdk.tck_model import action

    assert ActionTestKit(action.two).unary("Call", pb.OtherRequest(id="x")).reply == pb.Response()
