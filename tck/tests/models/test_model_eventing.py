"""Laws of the eventing TCK model (TCKM-093..102) and of its JSON events (ANY-019, ANY-021)."""

from __future__ import annotations

import json
import re

from google.protobuf import any_pb2
from hypothesis import given
from hypothesis import strategies as st

from tck import strategies
from tck.machines import eventing_wire as wire
from tck.machines.eventing import any_step, emitted_events, json_spellings, other_events
from tck.models import eventing as model

subjects = st.one_of(st.just(""), strategies.ids)


@given(st.one_of(emitted_events, other_events), subjects)
def test_one_answer_per_step_and_every_answer_carries_the_subject(event: model.Event, subject: str) -> None:
    answers = model.process(event, subject)
    expected = len(event.steps) if isinstance(event, model.EventTwo) else 1
    assert len(answers) == expected
    assert all(a.id == subject for a in answers if not isinstance(a, model.Fails))


@given(any_step, subjects)
def test_an_event_one_is_answered_as_its_step(step: model.Step, subject: str) -> None:
    assert model.process(model.EventOne(step), subject) == (model.answer(step, subject),)
    assert model.process(model.EventTwo((step,)), subject) == (model.answer(step, subject),)
    assert isinstance(model.answer(step, subject), model.Fails) == isinstance(step, model.Neither)


@given(any_step, subjects)
def test_following_a_forward_replies_with_its_payload(step: model.Step, subject: str) -> None:
    answer = model.answer(step, subject)
    if isinstance(answer, model.ForwardEffect):
        assert model.followed(answer) == model.Respond(subject, answer.message)


@given(emitted_events)
def test_events_are_routed_by_type_to_their_log_and_consumer(event: model.Event) -> None:
    json_event = isinstance(event, model.JsonEvent)
    assert model.type_url(event).startswith("json.cloudstate.io/" if json_event else "type.googleapis.com/")
    assert model.type_url(event).endswith(type(event).__name__)
    assert (model.log_of(event), model.emitter(event)[0]) == (
        (model.LOG_TWO, model.TWO) if json_event else (model.LOG_ONE, model.ONE)
    )
    assert model.consumer(event) == {model.EventOne: model.PROCESS_ONE, model.EventTwo: model.PROCESS_TWO}.get(
        type(event), model.PROCESS_ANY
    )


@given(strategies.texts)
def test_the_json_text_is_compact_and_decodes_to_its_message(message: str) -> None:
    text = model.json_text(message)
    assert model.compact(text)
    assert model.json_message(text) == message
    assert wire.json_text_of(wire.event_any(model.JsonEvent(message))) == text


@given(json_spellings())
def test_every_spelling_decodes_and_only_spaced_ones_are_not_compact(spelling: tuple[str, str]) -> None:
    text, message = spelling
    assert model.json_message(text) == message
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    assert model.compact(text) == (outside == "".join(outside.split()))


def test_whitespace_inside_strings_is_compact() -> None:
    assert model.compact('{"message":"a b\\" c"}')
    assert not model.compact('{"message": "a"}')
    assert model.json_message('{"message":"a","other":1}') is None
    assert model.json_message(json.dumps(["message"])) is None
    assert wire.json_text_of(any_pb2.Any(type_url=model.JSON_EVENT_URL, value=b"\x12\x00")) is None
