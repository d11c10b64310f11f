"""Definition mistakes raise DefinitionError when the entity is defined, with a
message that says what to do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cloudstate.tck.model import action_pb2, crdt_pb2, eventsourced_pb2, valueentity_pb2
from cloudstate_examples.greeter import greeter_pb2
from cloudstate_sdk import (
    Action,
    CloudstateError,
    CrdtEntity,
    DefinitionError,
    EventSourcedEntity,
    GCounter,
    ServiceCallRef,
    ValueEntity,
)

MODEL = "cloudstate.tck.model.EventSourcedTckModel"
GREETER = greeter_pb2.DESCRIPTOR.services_by_name["Greeter"]


def handler(state: Any, command: Any, context: Any) -> None:
    return None


def test_definition_error_is_a_cloudstate_error() -> None:
    assert issubclass(DefinitionError, CloudstateError)


def test_service_by_descriptor_or_full_name() -> None:
    by_name = EventSourcedEntity(MODEL)
    by_descriptor = EventSourcedEntity(eventsourced_pb2.DESCRIPTOR.services_by_name["EventSourcedTckModel"])
    assert by_name.service is by_descriptor.service
    assert by_name.persistence_id == MODEL  # the default


def test_unknown_service_says_to_import_the_module() -> None:
    with pytest.raises(DefinitionError, match=r"not in the descriptor pool: import its generated \*_pb2"):
        EventSourcedEntity("com.example.Missing")


def test_unknown_method_lists_the_methods() -> None:
    entity = EventSourcedEntity(MODEL)
    with pytest.raises(DefinitionError, match=r"has no method 'Proces' \(its methods: Process\)"):
        entity.command("Proces")(handler)


@pytest.mark.parametrize("kind", [EventSourcedEntity, ValueEntity])
def test_handler_registered_twice(kind: type[EventSourcedEntity] | type[ValueEntity]) -> None:
    entity = kind(MODEL)
    entity.command("Process")(handler)
    with pytest.raises(DefinitionError, match="already has a handler"):
        entity.command("Process")(handler)


def test_bad_command_signature() -> None:
    entity = ValueEntity(MODEL)

    def two_args(state: Any, command: Any) -> None:
        return None

    with pytest.raises(DefinitionError, match=r"must accept 3 positional argument\(s\): \(state, command, context\)"):
        entity.command("Process")(two_args)
    with pytest.raises(DefinitionError, match="must be a function"):
        entity.command("Process")("not callable")  # type: ignore[type-var]


def test_event_handler_needs_a_type() -> None:
    entity = EventSourcedEntity(MODEL)

    def unannotated(state, event):  # type: ignore[no-untyped-def]
        return state

    with pytest.raises(DefinitionError, match=r"@entity.event\(ItemAdded\)"):
        entity.event(unannotated)


def test_event_handler_by_annotation_or_type_and_no_duplicates() -> None:
    entity = EventSourcedEntity(MODEL)

    @entity.event
    def by_annotation(state: str, event: eventsourced_pb2.Persisted) -> str:
        return state

    assert entity.event_handler_for(eventsourced_pb2.Persisted()) is by_annotation
    with pytest.raises(DefinitionError, match="already has an event handler"):
        entity.event(eventsourced_pb2.Persisted)(by_annotation)

    @entity.event(dict)
    def plain(state: str, event: dict[str, Any]) -> str:
        return state

    assert entity.event_handler_for({"a": 1}) is plain


def test_event_handlers_must_be_plain_functions() -> None:
    entity = EventSourcedEntity(MODEL)

    async def handler(state: str, event: eventsourced_pb2.Persisted) -> str:
        return state

    with pytest.raises(DefinitionError, match="not async"):
        entity.event(eventsourced_pb2.Persisted)(handler)


@pytest.mark.parametrize("kind", [EventSourcedEntity, ValueEntity])
def test_entities_refuse_streaming_methods(kind: type[EventSourcedEntity] | type[ValueEntity]) -> None:
    with pytest.raises(DefinitionError, match="method GreetAll is streaming"):
        kind(GREETER)


def test_action_shape_must_match() -> None:
    action = Action(GREETER)
    with pytest.raises(DefinitionError, match=r"client-streaming, not unary; register it with @action.stream_in"):
        action.unary("GreetAll")(handler)
    action.handler("Chat")(lambda messages, ctx: iter(()))  # any shape
    action.stream_out("GreetRepeatedly")(lambda message, ctx: iter(()))


def test_action_signature() -> None:
    action = Action(action_pb2.DESCRIPTOR.services_by_name["ActionTwo"])
    with pytest.raises(DefinitionError, match=r"\(input, context\)"):
        action.unary("Call")(handler)


def test_missing_handlers_are_reported_when_served() -> None:
    entity = ValueEntity(valueentity_pb2.DESCRIPTOR.services_by_name["ValueEntityTckModel"])
    with pytest.raises(DefinitionError, match="has no handler for: Process"):
        entity.validate()


@pytest.mark.parametrize(
    ("arguments", "text"),
    [
        ({"snapshot_every": -1}, "snapshot_every"),
        ({"snapshot_every": True}, "snapshot_every"),
        ({"persistence_id": ""}, "persistence_id"),
        ({"passivation_timeout": timedelta(0)}, "passivation_timeout"),
        ({"passivation_timeout": 100}, "passivation_timeout"),
        ({"initial_state": lambda a, b: None}, "initial_state"),
    ],
)
def test_bad_options(arguments: dict[str, Any], text: str) -> None:
    with pytest.raises(DefinitionError, match=text):
        EventSourcedEntity(MODEL, **arguments)


def test_initial_state_forms() -> None:
    shared: list[int] = []
    by_value = EventSourcedEntity(MODEL, initial_state=shared)
    assert by_value.new_state("a") == []
    assert by_value.new_state("a") is not shared
    assert (
        EventSourcedEntity(MODEL, initial_state=eventsourced_pb2.Persisted).new_state("a")
        == eventsourced_pb2.Persisted()
    )
    assert EventSourcedEntity(MODEL, initial_state=lambda entity_id: entity_id * 2).new_state("ab") == "abab"
    assert EventSourcedEntity(MODEL, initial_state=dict).new_state("x") == {}


def test_service_call_refs() -> None:
    ref = ServiceCallRef.for_method("cloudstate.tck.model.EventSourcedTwo", "Call")
    assert (ref.service_name, ref.method_name) == ("cloudstate.tck.model.EventSourcedTwo", "Call")
    with pytest.raises(DefinitionError, match="no method 'call'"):
        ServiceCallRef.for_method("cloudstate.tck.model.EventSourcedTwo", "call")
    call = ref.create_call(eventsourced_pb2.Request(id="x"), metadata={"k": "v"})
    assert call.to_forward().metadata.entries[0].string_value == "v"
    with pytest.raises(ValueError, match=r"takes a cloudstate\.tck\.model\.Request"):
        ref.create_call(eventsourced_pb2.Response())


def test_crdt_entities_allow_server_streaming_but_not_client_streaming() -> None:
    with pytest.raises(DefinitionError, match="method GreetAll is client-streaming"):
        CrdtEntity(GREETER)
    entity = CrdtEntity(crdt_pb2.DESCRIPTOR.services_by_name["CrdtTckModel"], initial_state=GCounter)
    assert isinstance(entity.new_state("x"), GCounter)
    assert CrdtEntity("cloudstate.tck.model.crdt.CrdtTwo").new_state("x") is None
