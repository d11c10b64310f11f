"""The worked examples of the eventing model (spec/15-tck-model.md, spec/14-eventing.md) as exact exchanges.

The TCK plays the proxy on both sides of the event log: it sends the emitting
command on an event-sourced stream, takes the event from the reply as the
proxy would persist it, and delivers it to the subscriber with the CloudEvents
metadata of EVT-021. Expected answers, down to the bytes of the JSON event
(the example of spec/04-payloads.md), are written out by hand. One more
scenario reads the consumers' ``cloudstate.eventing`` options from discovery,
which is all a proxy has to subscribe them (EVT-002).
"""

from __future__ import annotations

from cloudstate import action_pb2, entity_pb2, eventing_pb2
from cloudstate import event_sourced_pb2 as es_pb
from cloudstate.tck.model import eventlogeventing_pb2 as pb
from google.protobuf import any_pb2, descriptor_pb2, empty_pb2
from google.protobuf.message import Message

from tck.checks import Check, Recorder
from tck.golden.exchange import Exchange, Scenario, expect_answer
from tck.machines import entity as common
from tck.sdk.discovery import PROXY_INFO
from tck.sdk.driver import UserFunction
from tck.sdk.streams import Closed
from tck.wire.common import pack

PACKAGE = "cloudstate.tck.model.eventlogeventing"
SUBSCRIBER = f"{PACKAGE}.EventLogSubscriberModel"


def emit(rec: Recorder, check: Check, uf: UserFunction, service: str, request: Message, event: any_pb2.Any) -> None:
    """One command on a new stream of the entity ``request.id``: it answers Empty and persists exactly ``event``."""
    entity_id: str = getattr(request, "id")  # noqa: B009 (EmitEventRequest or JsonEvent)
    name = "EmitJsonEvent" if isinstance(request, pb.JsonEvent) else "EmitEvent"
    s = Exchange(rec, check, uf.event_sourced())
    s.send(es_pb.EventSourcedStreamIn(init=es_pb.EventSourcedInit(service_name=service, entity_id=entity_id)))
    command = entity_pb2.Command(entity_id=entity_id, id=1, name=name, payload=pack(request))
    s.send(es_pb.EventSourcedStreamIn(command=command))
    empty = entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(empty_pb2.Empty())))
    s.expect(
        es_pb.EventSourcedStreamOut(reply=es_pb.EventSourcedReply(command_id=1, client_action=empty, events=[event]))
    )
    s.end()


def delivery(method: str, event: any_pb2.Any, log: str, subject: str) -> action_pb2.ActionCommand:
    command = action_pb2.ActionCommand(service_name=SUBSCRIBER, name=method, payload=event)
    for key, value in (
        ("ce-specversion", "1.0"),
        ("ce-id", "17"),
        ("ce-source", log),
        ("ce-subject", subject),
        ("ce-type", event.type_url),
        ("Content-Type", "application/vnd.cloudstate.protobuf.any"),
    ):
        command.metadata.entries.add(key=key, string_value=value)
    return command


def replied(entity_id: str, message: str) -> action_pb2.ActionResponse:
    return action_pb2.ActionResponse(reply=entity_pb2.Reply(payload=pack(pb.Response(id=entity_id, message=message))))


EXAMPLE = Check(
    "golden.eventing.example",
    ("TCKM-093", "TCKM-097", "EVT-024"),
    "EmitEvent on ev-1 persists the EventOne; ProcessEventOne answers Response{id: ev-1, message: hello}",
)


def event_one_reaches_the_subscriber(uf: UserFunction, rec: Recorder) -> None:
    """The example of the "Eventing model" section."""
    event = pb.EventOne(step=pb.ProcessStep(reply=pb.Reply(message="hello")))
    request = pb.EmitEventRequest(id="ev-1", event_one=event)
    persisted = any_pb2.Any(type_url=f"type.googleapis.com/{PACKAGE}.EventOne", value=event.SerializeToString())
    emit(rec, EXAMPLE, uf, f"{PACKAGE}.EventSourcedEntityOne", request, persisted)
    observed = uf.action_unary(delivery("ProcessEventOne", persisted, "eventlogeventing-one", "ev-1"))
    expect_answer(rec, EXAMPLE, replied("ev-1", "hello"), observed)


JSON = Check(
    "golden.eventing.json",
    ("TCKM-094", "ANY-018", "TCKM-101", "EVT-027"),
    'EmitJsonEvent persists {"message":"hi"} as json.cloudstate.io/JsonEvent; ProcessAnyEvent reads it back',
)


def json_event_reaches_the_subscriber(uf: UserFunction, rec: Recorder) -> None:
    """The JSON example of spec/04-payloads.md, from the entity through the Any consumer."""
    request = pb.JsonEvent(id="ev-2", message="hi")
    persisted = any_pb2.Any(type_url="json.cloudstate.io/JsonEvent", value=bytes.fromhex("0a10") + b'{"message":"hi"}')
    emit(rec, JSON, uf, f"{PACKAGE}.EventSourcedEntityTwo", request, persisted)
    observed = uf.action_unary(delivery("ProcessAnyEvent", persisted, "eventlogeventing-two", "ev-2"))
    expect_answer(rec, JSON, replied("ev-2", "hi"), observed)


STREAMED = Check(
    "golden.eventing.streamed",
    ("TCKM-099", "TCKM-098", "TCKM-102"),
    "ProcessEventTwo answers reply, forward and a stepless step one by one, then completes",
)


def event_two_is_answered_step_by_step(uf: UserFunction, rec: Recorder) -> None:
    steps = [pb.ProcessStep(reply=pb.Reply(message="a")), pb.ProcessStep(forward=pb.Forward(message="b"))]
    event = pack(pb.EventTwo(step=[*steps, pb.ProcessStep(), pb.ProcessStep(reply=pb.Reply(message="c"))]))
    s = Exchange(rec, STREAMED, uf.action_streamed_out(delivery("ProcessEventTwo", event, "eventlogeventing-one", "x")))
    s.expect(replied("x", "a"))
    target = entity_pb2.Forward(
        service_name=SUBSCRIBER, command_name="Effect", payload=pack(pb.EffectRequest(id="x", message="b"))
    )
    s.expect(action_pb2.ActionResponse(forward=target))
    refused = common.receive(rec, s.stream, STREAMED, "a failure")
    rec.require(STREAMED, refused.WhichOneof("response") == "failure", f"expected a failure, got {refused}")
    s.expect(replied("x", "c"))
    s.end()


OPTIONS = Check(
    "golden.eventing.options",
    ("EVT-002",),
    "EntitySpec.proto carries the cloudstate.eventing option of every consumer of the subscriber",
)
LOGS = {
    "ProcessEventOne": "eventlogeventing-one",
    "ProcessEventTwo": "eventlogeventing-one",
    "Effect": "",
    "ProcessAnyEvent": "eventlogeventing-two",
}


def consumers_keep_their_eventing_options(uf: UserFunction, rec: Recorder) -> None:
    """What the proxy reads to subscribe (EVT-001) must arrive: the event log each consumer names."""
    spec = uf.discover(PROXY_INFO)
    if isinstance(spec, Closed):
        rec.fail(OPTIONS, f"discover failed with {spec.code.name}: {spec.details}")
    files = descriptor_pb2.FileDescriptorSet.FromString(spec.proto)
    found: dict[str, str] = {}
    for file in files.file:
        for service in file.service:
            if f"{file.package}.{service.name}" == SUBSCRIBER:
                for method in service.method:
                    options = method.options.Extensions[eventing_pb2.eventing]
                    found[method.name] = getattr(options, "in").event_log  # "in" is a Python keyword
    rec.expect(OPTIONS, LOGS, found, "event log per method")


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        event_one_reaches_the_subscriber,
        json_event_reaches_the_subscriber,
        event_two_is_answered_step_by_step,
        consumers_keep_their_eventing_options,
    )
}
