"""The eventing TCK model on the wire: commands of the emitting entities, event deliveries, predicted answers.

A delivery is what a proxy sends for a persisted event (spec/14-eventing.md): an
``ActionCommand`` for the consumer method whose payload is the persisted ``Any``
itself and whose metadata holds the CloudEvents attributes (EVT-021, EVT-025,
EVT-026). Answers are predicted as ``ActionResponse`` messages and compared
after :func:`tck.machines.action.normalised`, which drops what the spec leaves open.
"""

from __future__ import annotations

from cloudstate import action_pb2, entity_pb2
from cloudstate.tck.model import eventlogeventing_pb2 as pb
from google.protobuf import any_pb2, empty_pb2, wrappers_pb2

from tck.models import eventing as model
from tck.wire.common import pack

CONTENT_TYPE = "application/vnd.cloudstate.protobuf.any"


def step(s: model.Step) -> pb.ProcessStep:
    match s:
        case model.Reply(message):
            return pb.ProcessStep(reply=pb.Reply(message=message))
        case model.Forward(message):
            return pb.ProcessStep(forward=pb.Forward(message=message))
        case model.Neither():
            return pb.ProcessStep()


def emit_request(entity_id: str, event: model.Event) -> pb.EmitEventRequest | pb.JsonEvent:
    """The command payload that makes the entity ``entity_id`` persist ``event``."""
    match event:
        case model.EventOne(s):
            return pb.EmitEventRequest(id=entity_id, event_one=pb.EventOne(step=step(s)))
        case model.EventTwo(steps):
            return pb.EmitEventRequest(id=entity_id, event_two=pb.EventTwo(step=[step(s) for s in steps]))
        case model.JsonEvent(message):
            return pb.JsonEvent(id=entity_id, message=message)


def json_any(text: str) -> any_pb2.Any:
    """A ``json.cloudstate.io/JsonEvent`` payload holding ``text`` (spec 04, ANY-018)."""
    value = wrappers_pb2.BytesValue(value=text.encode()).SerializeToString()
    return any_pb2.Any(type_url=model.JSON_EVENT_URL, value=value)


def json_text_of(event: any_pb2.Any) -> str | None:
    """The JSON text of a JSON payload, or None when its value is not the one-field wrapper of UTF-8 text."""
    wrapper = wrappers_pb2.BytesValue()
    try:
        wrapper.ParseFromString(event.value)
        text = wrapper.value.decode()
    except (ValueError, UnicodeDecodeError):
        return None
    # Re-encoding the text alone gives the value back only when field 1 is all the value holds (ANY-018).
    return text if wrappers_pb2.BytesValue(value=wrapper.value).SerializeToString() == event.value else None


def event_any(event: model.Event) -> any_pb2.Any:
    """The persisted event a conforming entity emits (the canonical JSON text for a JSON event)."""
    match event:
        case model.EventOne() | model.EventTwo():
            request = emit_request("", event)
            assert isinstance(request, pb.EmitEventRequest)
            which = request.WhichOneof("event")
            return pack(getattr(request, str(which)))
        case model.JsonEvent(message):
            return json_any(model.json_text(message))


def empty_reply() -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(empty_pb2.Empty())))


def delivery(
    method: str, payload: any_pb2.Any, log: str, subject: str | None, event_id: str
) -> action_pb2.ActionCommand:
    """An event delivery as a proxy makes it (EVT-021); ``subject`` None leaves ``ce-subject`` out."""
    command = action_pb2.ActionCommand(service_name=model.SUBSCRIBER, name=method, payload=payload)
    attributes = [
        ("ce-specversion", "1.0"),
        ("ce-id", event_id),
        ("ce-source", log),
        *([("ce-subject", subject)] if subject is not None else []),
        ("ce-type", payload.type_url),
        ("Content-Type", CONTENT_TYPE),
    ]
    for key, value in attributes:
        command.metadata.entries.add(key=key, string_value=value)
    return command


def effect_call(request: pb.EffectRequest) -> action_pb2.ActionCommand:
    return action_pb2.ActionCommand(service_name=model.SUBSCRIBER, name=model.EFFECT, payload=pack(request))


def response(answer: model.Answer) -> action_pb2.ActionResponse:
    """The ``ActionResponse`` a conforming subscriber sends (a failure's description is left empty)."""
    match answer:
        case model.Respond(id, message):
            return action_pb2.ActionResponse(reply=entity_pb2.Reply(payload=pack(pb.Response(id=id, message=message))))
        case model.ForwardEffect(id, message):
            target = entity_pb2.Forward(
                service_name=model.SUBSCRIBER,
                command_name=model.EFFECT,
                payload=pack(pb.EffectRequest(id=id, message=message)),
            )
            return action_pb2.ActionResponse(forward=target)
        case model.Fails():
            return action_pb2.ActionResponse(failure=entity_pb2.Failure())
