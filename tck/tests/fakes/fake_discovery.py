"""Discovery of the fake: the TCK model services for event sourcing, value entities, actions, CRDTs and eventing.

Defects:
  disc-version       ServiceInfo reports protocol 0.1
  disc-persistence   EventSourcedTckModel is declared with another persistence id
  disc-undefined     an entity names a service that EntitySpec.proto does not define
"""

from __future__ import annotations

from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate.tck.model import action_pb2, crdt_pb2, eventlogeventing_pb2, eventsourced_pb2, valueentity_pb2
from google.protobuf import descriptor, descriptor_pb2, empty_pb2

ES, VE, ACTION, CRDT = (
    "cloudstate.eventsourced.EventSourced",
    "cloudstate.valueentity.ValueEntity",
    "cloudstate.action.ActionProtocol",
    "cloudstate.crdt.Crdt",
)


def _entity(kind: str, service: str, persistence_id: str = "", passivate_ms: int = 0) -> entity_pb2.Entity:
    entity = entity_pb2.Entity(entity_type=kind, service_name=service, persistence_id=persistence_id)
    if passivate_ms:
        entity.passivation_strategy.timeout.timeout = passivate_ms
    return entity


ENTITIES = [
    _entity(ES, "cloudstate.tck.model.EventSourcedTckModel", "event-sourced-tck-model"),
    _entity(ES, "cloudstate.tck.model.EventSourcedTwo", "event-sourced-tck-model-two"),
    _entity(ES, "cloudstate.tck.model.EventSourcedConfigured", "event-sourced-configured", 100),
    _entity(VE, "cloudstate.tck.model.valueentity.ValueEntityTckModel", "value-entity-tck-model"),
    _entity(VE, "cloudstate.tck.model.valueentity.ValueEntityTwo", "value-entity-tck-model-two"),
    _entity(VE, "cloudstate.tck.model.valueentity.ValueEntityConfigured", "value-entity-configured", 100),
    _entity(ACTION, "cloudstate.tck.model.action.ActionTckModel"),
    _entity(ACTION, "cloudstate.tck.model.action.ActionTwo"),
    _entity(CRDT, "cloudstate.tck.model.crdt.CrdtTckModel", "crdt-tck-model"),
    _entity(CRDT, "cloudstate.tck.model.crdt.CrdtTwo", "crdt-tck-model-two"),
    _entity(CRDT, "cloudstate.tck.model.crdt.CrdtConfigured", "crdt-configured", 100),
    _entity(ACTION, "cloudstate.tck.model.eventlogeventing.EventLogSubscriberModel"),
    _entity(ES, "cloudstate.tck.model.eventlogeventing.EventSourcedEntityOne", "eventlogeventing-one"),
    _entity(ES, "cloudstate.tck.model.eventlogeventing.EventSourcedEntityTwo", "eventlogeventing-two"),
]


def descriptor_set(*files: descriptor.FileDescriptor) -> bytes:
    """Every file with its imports, each once, imports first."""
    result = descriptor_pb2.FileDescriptorSet()
    seen: set[str] = set()

    def add(file: descriptor.FileDescriptor) -> None:
        if file.name in seen:
            return
        seen.add(file.name)
        for dependency in file.dependencies:
            add(dependency)
        file.CopyToProto(result.file.add())

    for file in files:
        add(file)
    return result.SerializeToString()


DEFECTS = frozenset({"disc-version", "disc-persistence", "disc-undefined", "disc-key-option", "disc-twice"})


def _without_key_options(proto: bytes) -> bytes:
    """The descriptor set with every entity_key option dropped, as a careless descriptor copy would (DISC-010)."""
    files = descriptor_pb2.FileDescriptorSet.FromString(proto)
    for file in files.file:
        for message in file.message_type:
            for field in message.field:
                field.ClearField("options")
    return files.SerializeToString()


def entity_spec(entities: list[entity_pb2.Entity], defects: frozenset[str] = frozenset()) -> entity_pb2.EntitySpec:
    entities = [_broken(e, defects) for e in entities]
    if "disc-undefined" in defects:
        entities.append(_entity(ACTION, "cloudstate.tck.model.action.NotDefined"))
    if "disc-twice" in defects:
        entities.append(_entity(ACTION, "cloudstate.tck.model.action.ActionTwo"))
    spec = entity_pb2.EntitySpec(
        proto=descriptor_set(
            eventsourced_pb2.DESCRIPTOR,
            valueentity_pb2.DESCRIPTOR,
            action_pb2.DESCRIPTOR,
            crdt_pb2.DESCRIPTOR,
            eventlogeventing_pb2.DESCRIPTOR,
        ),
        entities=entities,
        service_info=entity_pb2.ServiceInfo(
            support_library_name="tck-fake",
            support_library_version="0",
            service_runtime="Python (the TCK's fake)",
            protocol_major_version=0,
            protocol_minor_version=1 if "disc-version" in defects else 2,
        ),
    )
    if "disc-key-option" in defects:
        spec.proto = _without_key_options(spec.proto)
    return spec


def _broken(entity: entity_pb2.Entity, defects: frozenset[str]) -> entity_pb2.Entity:
    if "disc-persistence" in defects and entity.persistence_id == "event-sourced-tck-model":
        return _entity(entity.entity_type, entity.service_name, "event-sourced")
    return entity


class Discovery(entity_pb2_grpc.EntityDiscoveryServicer):
    def __init__(self, entities: list[entity_pb2.Entity], defects: frozenset[str]) -> None:
        self.spec = entity_spec(entities, defects)

    async def discover(self, request: entity_pb2.ProxyInfo, context: object) -> entity_pb2.EntitySpec:
        return self.spec

    async def reportError(self, request: entity_pb2.UserFunctionError, context: object) -> empty_pb2.Empty:
        return empty_pb2.Empty()
