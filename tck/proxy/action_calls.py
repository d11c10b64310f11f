"""The calls an action client call must cause, and what the client must see of the responses.

:func:`visible` turns the model's responses into the client's view (messages,
then maybe a failure) and the calls that must and must not run; the other
functions find the one ``ActionProtocol`` call a client call caused (by the
TCK's header in its first message) and check its messages (ACT-005 to
ACT-008, ACT-021, META-012).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cloudstate import action_pb2
from cloudstate.tck.model import action_pb2 as model_pb2
from google.protobuf.message import Message

from tck.checks import Check
from tck.models import action as model
from tck.models.effects import Call, Failed, Forwarded, NoReply, Replied, SideEffect
from tck.proxy import checks
from tck.proxy.harness import HEADER, Harness
from tck.proxy.records import Record, StreamInfo
from tck.sdk.streams import Closed
from tck.wire.common import pack

PATH = "/cloudstate.action.ActionProtocol/"
SHAPES = {
    model.UNARY: "handleUnary",
    model.STREAMED_IN: "handleStreamedIn",
    model.STREAMED_OUT: "handleStreamedOut",
    model.STREAMED: "handleStreamed",
}


@dataclasses.dataclass(frozen=True)
class Visible:
    """What a client sees of a sequence of responses: messages, then maybe a failure; and what must run."""

    messages: tuple[Message, ...]
    failure: str | None
    effects: tuple[SideEffect, ...]
    forwards: tuple[Call, ...]
    ignored: tuple[Call, ...]  # calls of responses after a failure: they must never run


def visible(responses: Sequence[model.Response]) -> Visible:
    messages: list[Message] = []
    effects: list[SideEffect] = []
    forwards: list[Call] = []
    for index, response in enumerate(responses):
        effects += response.effects
        match response.client:
            case Replied(message):
                messages.append(model_pb2.Response(message=message))
            case Forwarded(call):
                messages.append(model_pb2.Response())
                forwards.append(call)
            case Failed(message):
                rest = responses[index + 1 :]
                ignored = [e.call for r in rest for e in r.effects]
                ignored += [r.client.call for r in rest if isinstance(r.client, Forwarded)]
                return Visible(tuple(messages), message, tuple(effects), tuple(forwards), tuple(ignored))
            case NoReply():
                pass
    return Visible(tuple(messages), None, tuple(effects), tuple(forwards), ())


def find_call(h: Harness, mark: int, method: str, tag: str) -> StreamInfo:
    """The one ActionProtocol call the client call caused (found by its header), of the method's shape."""

    def found() -> list[StreamInfo] | None:
        calls = [s for s in h.icp.log.streams(protocol="action", since=mark) if tagged(h, s, tag)]
        return calls or None

    calls = h.icp.wait(found, h.bounds.wait) or []
    h.rec.expect(checks.ACTION_CALL, [PATH + SHAPES[method]], [c.method for c in calls], "ActionProtocol calls")
    return calls[0]


def first_command(h: Harness, call: StreamInfo) -> action_pb2.ActionCommand:
    sent = [r.message for r in h.icp.messages(call.id) if r.kind == "in"]
    h.rec.expect(checks.ACTION_COMMAND, 1, len(sent), f"messages of call #{call.id}")
    first: action_pb2.ActionCommand = sent[0]  # type: ignore[assignment]
    return first


def expect_command(
    h: Harness, first: action_pb2.ActionCommand, expected: action_pb2.ActionCommand, tag: str, via: str
) -> None:
    got = action_pb2.ActionCommand()
    got.CopyFrom(first)
    tagged = [e.string_value for e in got.metadata.entries if e.key == HEADER]
    h.rec.expect(checks.ACTION_METADATA, [tag], tagged, "the x-tck-step header in ActionCommand.metadata")
    got.ClearField("metadata")
    if via == "http":  # built from JSON: compare the decoded request, not the bytes
        decoded, wanted = model_pb2.Request(), model_pb2.Request()
        decoded.ParseFromString(got.payload.value)
        wanted.ParseFromString(expected.payload.value)
        h.rec.expect(checks.HTTP_COMMAND, (expected.payload.type_url, wanted), (got.payload.type_url, decoded))
        got.payload.CopyFrom(expected.payload)
    h.rec.expect(checks.ACTION_COMMAND, expected, got)


def check_stream_in(h: Harness, call: StreamInfo, messages: Sequence[Message], tag: str, half_closed: bool) -> None:
    """Announce (service, name, metadata; no payload), then one payload-only command per client message."""
    count = len(messages) + 1
    records = h.icp.wait(lambda: sent_records(h, call.id, count), h.bounds.wait) or []
    sent = [r.message for r in records]
    announce = action_pb2.ActionCommand(service_name=model.SERVICE, name=method_of(call))
    if sent and isinstance(sent[0], action_pb2.ActionCommand):
        announce.metadata.CopyFrom(sent[0].metadata)
    expected = [announce, *(action_pb2.ActionCommand(payload=pack(m)) for m in messages)]
    h.rec.expect(checks.ACTION_STREAM_IN, expected, sent, f"the messages of call #{call.id}")
    tagged = [e.string_value for e in announce.metadata.entries if e.key == HEADER]
    h.rec.expect(checks.ACTION_METADATA, [tag], tagged, "the x-tck-step header in the announcing command")
    if half_closed:
        closed = h.icp.wait_half_closed(call.id, h.bounds.wait)
        h.rec.require(checks.ACTION_STREAM_IN, closed is not None, f"call #{call.id} was not half-closed")


def answer_check(client: object, via: str) -> Check:
    if isinstance(client, Forwarded):
        return checks.FORWARD_ANSWER
    if isinstance(client, NoReply):
        return checks.ACTION_EMPTY
    return checks.HTTP_REPLY if via == "http" else checks.ACTION_REPLY


def tagged(h: Harness, call: StreamInfo, tag: str) -> bool:
    """Whether the call's first message carries the TCK's header with ``tag``."""
    first = next((r.message for r in h.icp.messages(call.id) if r.kind == "in"), None)
    if not isinstance(first, action_pb2.ActionCommand):
        return False
    return any(e.key == HEADER and e.string_value == tag for e in first.metadata.entries)


def method_of(call: StreamInfo) -> str:
    return next(m for m, shape in SHAPES.items() if call.method == PATH + shape)


def sent_records(h: Harness, stream: int, count: int) -> list[Record] | None:
    """The in records of a call, once ``count`` arrived (or the call was half-closed or ended)."""
    records = [r for r in h.icp.messages(stream) if r.kind == "in"]
    info = h.icp.stream(stream)
    return records if len(records) >= count or info.half_closed or info.ended else None


def normal(item: object) -> object:
    return Closed(item.code, item.details) if isinstance(item, Closed) else item
