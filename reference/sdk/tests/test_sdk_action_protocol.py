"""The ActionProtocol, driven by a client that plays the proxy (spec/11-actions.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from cloudstate import action_pb2, action_pb2_grpc
from cloudstate.tck.model import action_pb2 as pb
from cloudstate_sdk import Action, ActionContext, unpack
from cloudstate_sdk.tck_model import action as action_model
from google.protobuf.message import Message
from sdk_harness import READ_TIMEOUT, serving

MODEL = "cloudstate.tck.model.action.ActionTckModel"
TWO = "cloudstate.tck.model.action.ActionTwo"


def group(*steps: str) -> pb.ProcessGroup:
    """ "r:X" reply, "f:ID" forward, "x:MSG" fail, "s:ID"/"a:ID" sync/async effect."""
    out = []
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "r":
            out.append(pb.ProcessStep(reply=pb.Reply(message=arg)))
        elif kind == "f":
            out.append(pb.ProcessStep(forward=pb.Forward(id=arg)))
        elif kind == "x":
            out.append(pb.ProcessStep(fail=pb.Fail(message=arg)))
        else:
            out.append(pb.ProcessStep(effect=pb.SideEffect(id=arg, synchronous=kind == "s")))
    return pb.ProcessGroup(steps=out)


def command(name: str, payload: Message | None = None, service: str = MODEL) -> action_pb2.ActionCommand:
    out = action_pb2.ActionCommand(service_name=service, name=name)
    if payload is not None:
        out.payload.Pack(payload)
    return out


def later(payload: pb.Request) -> action_pb2.ActionCommand:
    out = action_pb2.ActionCommand()
    out.payload.Pack(payload)
    return out


def summary(response: action_pb2.ActionResponse) -> tuple[str | None, str, list[tuple[str, bool]]]:
    kind = response.WhichOneof("response")
    if kind == "reply":
        detail = unpack(response.reply.payload).message
    elif kind == "forward":
        detail = f"{response.forward.command_name}:{unpack(response.forward.payload).id}"
    elif kind == "failure":
        detail = response.failure.description
    else:
        detail = ""
    effects = [(unpack(e.payload).id, e.synchronous) for e in response.side_effects]
    return kind, detail, effects


@pytest.fixture
async def stub() -> AsyncIterator[action_pb2_grpc.ActionProtocolStub]:
    async with serving(action_model.entities) as channel:
        yield action_pb2_grpc.ActionProtocolStub(channel)


async def test_unary_merges_groups(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    request = pb.Request(groups=[group("r:one", "s:e1"), group("x:bad", "a:e2")])
    response = await stub.handleUnary(command("ProcessUnary", request), timeout=READ_TIMEOUT)
    # The failure is last, and an action failure keeps its side effects.
    assert summary(response) == ("failure", "bad", [("e1", True), ("e2", False)])


async def test_unary_forward_and_no_reply(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    forward = await stub.handleUnary(command("ProcessUnary", pb.Request(groups=[group("x:no", "f:other")])))
    assert summary(forward) == ("forward", "Call:other", [])
    assert forward.forward.service_name == TWO
    assert summary(await stub.handleUnary(command("ProcessUnary", pb.Request()))) == (None, "", [])


async def test_streamed_in_first_command_announces_the_call(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    async def commands() -> AsyncIterator[action_pb2.ActionCommand]:
        yield command("ProcessStreamedIn")
        yield later(pb.Request(groups=[group("r:first", "s:a")]))
        yield later(pb.Request(groups=[group("r:second")]))

    response = await stub.handleStreamedIn(commands(), timeout=READ_TIMEOUT)
    assert summary(response) == ("reply", "second", [("a", True)])


async def test_streamed_in_rejects_a_payload_on_the_first_command(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    async def commands() -> AsyncIterator[action_pb2.ActionCommand]:
        yield command("ProcessStreamedIn", pb.Request())

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.handleStreamedIn(commands(), timeout=READ_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "must carry no payload" in str(raised.value.details())


async def test_streamed_out_one_response_per_group(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    request = pb.Request(groups=[group("r:a"), group("x:broken", "s:e"), group("f:z"), group("a:only")])
    responses = [r async for r in stub.handleStreamedOut(command("ProcessStreamedOut", request), timeout=READ_TIMEOUT)]
    assert [summary(r) for r in responses] == [
        ("reply", "a", []),
        ("failure", "broken", [("e", True)]),
        ("forward", "Call:z", []),
        (None, "", [("only", False)]),
    ]


async def test_duplex_answers_each_request_as_it_arrives(stub: action_pb2_grpc.ActionProtocolStub) -> None:
    call = stub.handleStreamed(timeout=READ_TIMEOUT)
    await call.write(command("ProcessStreamed"))
    await call.write(later(pb.Request(groups=[group("r:1"), group("r:2")])))
    assert summary(await call.read()) == ("reply", "1", [])
    assert summary(await call.read()) == ("reply", "2", [])
    await call.write(later(pb.Request(groups=[group("x:3")])))
    assert summary(await call.read()) == ("failure", "3", [])
    await call.done_writing()
    assert await call.read() is grpc.aio.EOF
    assert await call.code() == grpc.StatusCode.OK


@pytest.mark.parametrize(
    ("sent", "code", "text"),
    [
        (command("ProcessUnary", pb.Request(), service="no.Such"), grpc.StatusCode.UNIMPLEMENTED, "'no.Such'"),
        (command("Nope", pb.Request()), grpc.StatusCode.UNIMPLEMENTED, "no method 'Nope'"),
        (command("ProcessStreamedOut", pb.Request()), grpc.StatusCode.INVALID_ARGUMENT, "is not unary"),
        (command("ProcessUnary", pb.Response()), grpc.StatusCode.INVALID_ARGUMENT, "takes cloudstate.tck"),
    ],
)
async def test_malformed_unary_calls(
    stub: action_pb2_grpc.ActionProtocolStub, sent: action_pb2.ActionCommand, code: grpc.StatusCode, text: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.handleUnary(sent, timeout=READ_TIMEOUT)
    assert raised.value.code() == code
    assert text in str(raised.value.details())
    # The server keeps serving.
    ok = await stub.handleUnary(command("ProcessUnary", pb.Request(groups=[group("r:fine")])))
    assert summary(ok) == ("reply", "fine", [])


broken = Action("cloudstate.tck.model.action.ActionTwo")


@broken.unary("Call")
async def explode(request: pb.OtherRequest, ctx: ActionContext) -> pb.Response:
    raise KeyError("missing thing")


async def test_raising_action_handler_gives_a_status_naming_it() -> None:
    async with serving([broken]) as channel:
        stub = action_pb2_grpc.ActionProtocolStub(channel)
        sent = command("Call", service=TWO)
        sent.payload.Pack(pb.OtherRequest(id="x"))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.handleUnary(sent, timeout=READ_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    details = str(raised.value.details())
    assert f"{TWO}/Call" in details
    assert "KeyError" in details
    assert "missing thing" in details
