"""The event-log eventing TCK model, driven the way a proxy delivers events (spec/14-eventing.md,
spec/15-tck-model.md TCKM-093..102): the event-sourced entities over EventSourced streams, the subscriber
over ActionProtocol calls whose metadata carries the CloudEvents attributes of the event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from cloudstate import action_pb2, action_pb2_grpc, entity_pb2, entity_pb2_grpc, event_sourced_pb2_grpc, eventing_pb2
from cloudstate import event_sourced_pb2 as es
from cloudstate.tck.model import eventlogeventing_pb2 as pb
from cloudstate_sdk import pack_json, unpack
from cloudstate_sdk.tck_model import entities
from cloudstate_sdk.tck_model import eventlogeventing as model
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, wrappers_pb2
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from sdk_harness import READ_TIMEOUT, Stream, es_command, es_init, serving

PACKAGE = "cloudstate.tck.model.eventlogeventing"
SUBSCRIBER = f"{PACKAGE}.EventLogSubscriberModel"
ONE = f"{PACKAGE}.EventSourcedEntityOne"
TWO = f"{PACKAGE}.EventSourcedEntityTwo"


def reply(message: str) -> pb.ProcessStep:
    return pb.ProcessStep(reply=pb.Reply(message=message))


def forward(message: str) -> pb.ProcessStep:
    return pb.ProcessStep(forward=pb.Forward(message=message))


def event_call(name: str, event: any_pb2.Any, entity_id: str | None, log: str) -> action_pb2.ActionCommand:
    """An event delivery: the event's Any as the payload, CloudEvents attributes as metadata (EVT-021)."""
    command = action_pb2.ActionCommand(service_name=SUBSCRIBER, name=name, payload=event)
    attributes = {
        "ce-specversion": "1.0",
        "ce-id": "7",
        "ce-source": log,
        "ce-type": event.type_url,
        "Content-Type": "application/vnd.cloudstate.protobuf.any",
    }
    if entity_id is not None:
        attributes["ce-subject"] = entity_id
    for key, value in attributes.items():
        command.metadata.entries.add(key=key, string_value=value)
    return command


def packed(message: Message) -> any_pb2.Any:
    out = any_pb2.Any()
    out.Pack(message)
    return out


def answer(response: action_pb2.ActionResponse) -> tuple[str | None, object]:
    kind = response.WhichOneof("response")
    if kind == "reply":
        return kind, unpack(response.reply.payload)
    if kind == "forward":
        return kind, (response.forward.service_name, response.forward.command_name, unpack(response.forward.payload))
    if kind == "failure":
        return kind, response.failure.description
    return kind, None


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    async with serving(model.entities) as channel:
        yield channel


@pytest.fixture
def actions(channel: grpc.aio.Channel) -> action_pb2_grpc.ActionProtocolStub:
    return action_pb2_grpc.ActionProtocolStub(channel)


async def test_event_one_reply_takes_its_id_from_ce_subject(actions: action_pb2_grpc.ActionProtocolStub) -> None:
    event = packed(pb.EventOne(step=reply("hello")))
    response = await actions.handleUnary(event_call("ProcessEventOne", event, "ev-1", "eventlogeventing-one"))
    assert answer(response) == ("reply", pb.Response(id="ev-1", message="hello"))
    assert not response.side_effects


async def test_event_one_forward_goes_to_effect(actions: action_pb2_grpc.ActionProtocolStub) -> None:
    event = packed(pb.EventOne(step=forward("fwd")))
    response = await actions.handleUnary(event_call("ProcessEventOne", event, "ev-2", "eventlogeventing-one"))
    assert answer(response) == ("forward", (SUBSCRIBER, "Effect", pb.EffectRequest(id="ev-2", message="fwd")))
    # The forward's target answers as the model says (TCKM-100).
    target = action_pb2.ActionCommand(service_name=SUBSCRIBER, name="Effect", payload=response.forward.payload)
    assert answer(await actions.handleUnary(target)) == ("reply", pb.Response(id="ev-2", message="fwd"))


async def test_missing_subject_gives_an_empty_id_and_an_empty_step_fails(
    actions: action_pb2_grpc.ActionProtocolStub,
) -> None:
    event = packed(pb.EventOne(step=reply("x")))
    response = await actions.handleUnary(event_call("ProcessEventOne", event, None, "eventlogeventing-one"))
    assert answer(response) == ("reply", pb.Response(id="", message="x"))
    empty = packed(pb.EventOne(step=pb.ProcessStep()))
    failed = await actions.handleUnary(event_call("ProcessEventOne", empty, "ev-3", "eventlogeventing-one"))
    assert answer(failed) == ("failure", "the event's step sets neither reply nor forward")


async def test_event_two_streams_one_response_per_step(actions: action_pb2_grpc.ActionProtocolStub) -> None:
    event = packed(pb.EventTwo(step=[reply("a"), forward("b"), reply("c"), pb.ProcessStep()]))
    call = actions.handleStreamedOut(event_call("ProcessEventTwo", event, "ev-4", "eventlogeventing-one"))
    responses = [answer(r) async for r in call]
    assert responses == [
        ("reply", pb.Response(id="ev-4", message="a")),
        ("forward", (SUBSCRIBER, "Effect", pb.EffectRequest(id="ev-4", message="b"))),
        ("reply", pb.Response(id="ev-4", message="c")),
        ("failure", "the event's step sets neither reply nor forward"),
    ]
    assert await call.code() == grpc.StatusCode.OK


async def test_any_event_gets_the_json_payload_unwrapped(actions: action_pb2_grpc.ActionProtocolStub) -> None:
    event = pack_json({"message": "json hi"}, "JsonEvent")
    response = await actions.handleUnary(event_call("ProcessAnyEvent", event, "ev-5", "eventlogeventing-two"))
    assert answer(response) == ("reply", pb.Response(id="ev-5", message="json hi"))
    other = pack_json({"message": "x"}, "Other")
    failed = await actions.handleUnary(event_call("ProcessAnyEvent", other, "ev-5", "eventlogeventing-two"))
    expected = "expected a json.cloudstate.io/JsonEvent event, got 'json.cloudstate.io/Other'"
    assert answer(failed) == ("failure", expected)
    no_message = pack_json({"text": "x"}, "JsonEvent")
    failed = await actions.handleUnary(event_call("ProcessAnyEvent", no_message, "ev-5", "eventlogeventing-two"))
    assert answer(failed)[0] == "failure"


async def test_entity_one_emits_exactly_one_protobuf_event(channel: grpc.aio.Channel) -> None:
    stream = Stream(event_sourced_pb2_grpc.EventSourcedStub(channel).handle())
    await stream.send(es_init(ONE, "ev-6"))
    for command_id, request in enumerate(
        [
            pb.EmitEventRequest(id="ev-6", event_one=pb.EventOne(step=reply("r"))),
            pb.EmitEventRequest(id="ev-6", event_two=pb.EventTwo(step=[forward("f"), reply("r")])),
        ],
        start=1,
    ):
        await stream.send(es_command(command_id, "EmitEvent", request, "ev-6"))
        out = (await stream.receive()).reply
        assert unpack(out.client_action.reply.payload) == Empty()
        (event,) = out.events
        emitted = getattr(request, str(request.WhichOneof("event")))
        assert event.type_url == f"type.googleapis.com/{emitted.DESCRIPTOR.full_name}"
        assert unpack(event) == emitted
        assert not out.HasField("snapshot")
    await stream.send(es_command(3, "EmitEvent", pb.EmitEventRequest(id="ev-6"), "ev-6"))
    assert (await stream.receive()).reply.client_action.failure.description.startswith("EmitEventRequest sets")
    assert await stream.close() == []


async def test_entity_two_emits_compact_json_and_replays_it(channel: grpc.aio.Channel) -> None:
    stub = event_sourced_pb2_grpc.EventSourcedStub(channel)
    stream = Stream(stub.handle())
    await stream.send(es_init(TWO, "ev-7"))
    await stream.send(es_command(1, "EmitJsonEvent", pb.JsonEvent(id="ev-7", message='say "hi"'), "ev-7"))
    out = (await stream.receive()).reply
    assert unpack(out.client_action.reply.payload) == Empty()
    (event,) = out.events
    assert event.type_url == "json.cloudstate.io/JsonEvent"
    assert wrappers_pb2.BytesValue.FromString(event.value).value == b'{"message":"say \\"hi\\""}'
    assert event.value[:1] == b"\x0a", "field 1, length-delimited"
    assert await stream.close() == []

    # A later stream replays both logs' kinds of event without failing (TCKM-096).
    again = Stream(stub.handle())
    await again.send(es_init(TWO, "ev-7"))
    await again.send(es.EventSourcedStreamIn(event=es.EventSourcedEvent(sequence=1, payload=event)))
    await again.send(es_command(1, "EmitJsonEvent", pb.JsonEvent(id="ev-7", message="more"), "ev-7"))
    assert [unpack(e) for e in (await again.receive()).reply.events] == [{"message": "more"}]
    assert await again.close() == []


async def test_an_emitted_event_delivered_to_the_subscriber_round_trips(channel: grpc.aio.Channel) -> None:
    """What the proxy does between the two: persist the event, then deliver it as it was persisted."""
    stream = Stream(event_sourced_pb2_grpc.EventSourcedStub(channel).handle())
    await stream.send(es_init(ONE, "ev-8"))
    request = pb.EmitEventRequest(id="ev-8", event_one=pb.EventOne(step=reply("round trip")))
    await stream.send(es_command(1, "EmitEvent", request, "ev-8"))
    (event,) = (await stream.receive()).reply.events
    actions = action_pb2_grpc.ActionProtocolStub(channel)
    response = await actions.handleUnary(event_call("ProcessEventOne", event, "ev-8", "eventlogeventing-one"))
    assert answer(response) == ("reply", pb.Response(id="ev-8", message="round trip"))


async def test_discovery_declares_the_model_with_its_eventing_options() -> None:
    async with serving(entities()) as channel:
        spec = await entity_pb2_grpc.EntityDiscoveryStub(channel).discover(entity_pb2.ProxyInfo(), timeout=READ_TIMEOUT)
    declared = {e.service_name: (e.entity_type, e.persistence_id) for e in spec.entities}
    assert declared[SUBSCRIBER] == ("cloudstate.action.ActionProtocol", "")
    assert declared[ONE] == ("cloudstate.eventsourced.EventSourced", "eventlogeventing-one")
    assert declared[TWO] == ("cloudstate.eventsourced.EventSourced", "eventlogeventing-two")
    files = descriptor_pb2.FileDescriptorSet.FromString(spec.proto)
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    (proto,) = [f for f in files.file if f.name == "cloudstate/tck/model/eventlogeventing.proto"]
    (service,) = [s for s in proto.service if s.name == "EventLogSubscriberModel"]
    sources = {}
    for method in service.method:
        options = method.options
        # "in" is a Python keyword, hence getattr.
        source = getattr(options.Extensions[eventing_pb2.eventing], "in")
        sources[method.name] = source.event_log if options.HasExtension(eventing_pb2.eventing) else None
    assert sources == {
        "ProcessEventOne": "eventlogeventing-one",
        "ProcessEventTwo": "eventlogeventing-one",
        "Effect": None,
        "ProcessAnyEvent": "eventlogeventing-two",
    }
    any_method = pool.FindServiceByName(SUBSCRIBER).methods_by_name["ProcessAnyEvent"]
    assert any_method.input_type.full_name == "google.protobuf.Any"
