"""The checks of the eventing machine, with the requirements each covers, and the comparisons of answers.

An emitting entity's reply is taken apart in a fixed order (stream-level
failure, command id, the Empty reply, then the one event) so that the first
mismatch names the most specific requirement. A subscriber answer is checked
under the check of the kind of answer the model predicts (reply, forward,
failure), since each kind has its own requirement.
"""

from __future__ import annotations

from cloudstate import action_pb2, entity_pb2
from cloudstate import event_sourced_pb2 as es_pb
from google.protobuf import any_pb2

from tck.checks import Check, Recorder
from tck.machines import action as action_machine
from tck.machines import eventing_wire as wire
from tck.models import eventing as model
from tck.sdk.streams import Closed
from tck.wire.common import normalised_action

REPLAY = Check(
    "eventing.replay", ("TCKM-096",), "an emitting entity answers after replaying its own events, without failing"
)
COMMAND_ID = Check("eventing.emit.command_id", ("CMD-013",), "one reply per command, with its id")
EMPTY_REPLY = Check(
    "eventing.emit.reply",
    ("TCKM-093", "TCKM-094", "TCKM-096"),
    "EmitEvent and EmitJsonEvent reply with Empty, with no side effects and no snapshot",
)
EVENT = Check(
    "eventing.emit.event", ("TCKM-093",), "EmitEvent emits its EventOne or EventTwo, packed as type.googleapis.com"
)
JSON_EVENT = Check(
    "eventing.emit.json_event",
    ("TCKM-094", "ANY-017", "ANY-018"),
    "EmitJsonEvent emits json.cloudstate.io/JsonEvent: the UTF-8 JSON object {message} in field 1",
)
JSON_COMPACT = Check("eventing.emit.json_compact", ("ANY-019",), "the JSON text has no whitespace outside strings")
JSON_RECOMMENDED = Check(
    "eventing.emit.json_recommended", ("TCKM-095",), 'the JSON text is exactly {"message":"<text>"}', advisory=True
)
REPLIED = Check(
    "eventing.subscriber.reply", ("TCKM-097", "EVT-024"), "a reply step: Response{id: subject, message: step's}"
)
FORWARDED = Check(
    "eventing.subscriber.forward",
    ("TCKM-098", "EVT-024"),
    "a forward step: forward to EventLogSubscriberModel/Effect with EffectRequest{id: subject, message: step's}",
)
REFUSED = Check("eventing.subscriber.neither", ("TCKM-102",), "a step with neither reply nor forward: a failure")
STREAMED = Check(
    "eventing.subscriber.streamed", ("TCKM-099",), "ProcessEventTwo: one response per step, in order, then the end"
)
EFFECT = Check("eventing.effect", ("TCKM-100",), "Effect replies with Response{id, message} of its request")
ANY_EVENT = Check(
    "eventing.subscriber.any_event",
    ("TCKM-101", "EVT-027", "EVT-024"),
    "ProcessAnyEvent gets the JSON event unchanged and replies with Response{id: subject, message: the JSON's}",
)
LENIENT_JSON = Check(
    "eventing.subscriber.any_json", ("TCKM-101", "ANY-021"), "ProcessAnyEvent decodes any spelling of the JSON object"
)
CHECKS_OF = {model.Respond: REPLIED, model.ForwardEffect: FORWARDED, model.Fails: REFUSED}


def compare_emitted(
    rec: Recorder, out: es_pb.EventSourcedStreamOut, command_id: int, event: model.Event, replayed: int
) -> any_pb2.Any:
    """Check an emitting entity's reply; return the event it emitted, for the journal."""
    if out.WhichOneof("message") != "reply":
        rec.fail(REPLAY if replayed else EMPTY_REPLY, f"after replaying {replayed} events, expected a reply: {out}")
    if replayed:
        rec.ok(REPLAY)
    reply = out.reply
    rec.expect(COMMAND_ID, command_id, reply.command_id, "command id")
    shape = (normalised_action(reply.client_action), list(reply.side_effects), reply.HasField("snapshot"))
    rec.expect(EMPTY_REPLY, (wire.empty_reply(), [], False), shape, "(client action, side effects, has snapshot)")
    expected = wire.event_any(event)
    if not isinstance(event, model.JsonEvent):
        rec.expect(EVENT, [expected], list(reply.events), "events")
        return expected
    rec.expect(JSON_EVENT, 1, len(reply.events), "number of events")
    observed = reply.events[0]
    text = wire.json_text_of(observed)
    rec.expect(
        JSON_EVENT, (model.JSON_EVENT_URL, event.message), (observed.type_url, text and model.json_message(text))
    )
    if text is None:
        return observed  # reachable only when JSON_EVENT's requirements are excluded
    rec.expect(JSON_RECOMMENDED, model.json_text(event.message), text, "JSON text", show=str)
    rec.require(JSON_COMPACT, model.compact(text), f"JSON text {text}")
    return observed


def compare_answer(
    rec: Recorder, predicted: model.Answer, observed: action_pb2.ActionResponse | Closed, check: Check | None = None
) -> None:
    """Check one subscriber answer; ``check`` overrides the check of the answer's kind."""
    check = check or CHECKS_OF[type(predicted)]
    expected = wire.response(predicted)
    if isinstance(observed, Closed):
        rec.fail(check, f"expected {expected}, got the call's end {observed.code.name} {observed.details!r}")
    if observed.WhichOneof("response") == "failure":
        failure = observed.failure
        rec.expect(
            action_machine.FAILURE_IDS, (0, False), (failure.command_id, failure.restart), "(command id, restart)"
        )
    normalised = action_machine.normalised(observed)
    if normalised.WhichOneof("response") == "failure":
        normalised.failure.CopyFrom(entity_pb2.Failure())  # the description is the implementation's
    rec.expect(check, expected, normalised)
