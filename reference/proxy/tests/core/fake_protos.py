"""The test user function's services, as descriptors built in code (no protoc needed).

``package cstest``::

    message Cmd   { string id = 1 [(cloudstate.entity_key) = true]; string script = 2; }
    message State { string value = 1; repeated string meta = 2; }
    message Multi { string a = 1 [(cloudstate.entity_key) = true]; int64 b = 2 [(cloudstate.entity_key) = true];
                    bool c = 3 [(cloudstate.legacy_entity_key) = true]; }
    message Other { string x = 1; }
    service Es   { rpc Do(Cmd) returns (State); rpc Two(Cmd) returns (State); }
    service Ve   { rpc Do(Cmd) returns (State); rpc Keys(Multi) returns (State); }
    service Act  { rpc Unary(Cmd) returns (State); rpc In(stream Cmd) returns (State);
                   rpc Out(Cmd) returns (stream State); rpc Duplex(stream Cmd) returns (stream State);
                   rpc Mismatch(Cmd) returns (Other); }

``file(...)`` builds variants (other services, broken ones) for the discovery tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate import entity_key_pb2, entity_pb2, legacy_entity_key_pb2
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message, message_factory
from google.protobuf.descriptor import FileDescriptor

FDP = descriptor_pb2.FieldDescriptorProto
PACKAGE = "cstest"
ES, VE, ACT = "cstest.Es", "cstest.Ve", "cstest.Act"
ES_TYPE = "cloudstate.eventsourced.EventSourced"
VE_TYPE = "cloudstate.valueentity.ValueEntity"
ACTION_TYPE = "cloudstate.action.ActionProtocol"
CRDT_TYPE = "cloudstate.crdt.Crdt"

# (name, fields as (name, number, type, key option: "", "key" or "legacy", repeated))
Field = tuple[str, int, int, str, bool]
MESSAGES: dict[str, list[Field]] = {
    "Cmd": [("id", 1, FDP.TYPE_STRING, "key", False), ("script", 2, FDP.TYPE_STRING, "", False)],
    "State": [("value", 1, FDP.TYPE_STRING, "", False), ("meta", 2, FDP.TYPE_STRING, "", True)],
    "Multi": [
        ("a", 1, FDP.TYPE_STRING, "key", False),
        ("b", 2, FDP.TYPE_INT64, "key", False),
        ("c", 3, FDP.TYPE_BOOL, "legacy", False),
    ],
    "Other": [("x", 1, FDP.TYPE_STRING, "", False)],
}
# service -> [(method, input, output, client streaming, server streaming)]
Method = tuple[str, str, str, bool, bool]
SERVICES: dict[str, list[Method]] = {
    "Es": [("Do", "Cmd", "State", False, False), ("Two", "Cmd", "State", False, False)],
    "Ve": [("Do", "Cmd", "State", False, False), ("Keys", "Multi", "State", False, False)],
    "Act": [
        ("Unary", "Cmd", "State", False, False),
        ("In", "Cmd", "State", True, False),
        ("Out", "Cmd", "State", False, True),
        ("Duplex", "Cmd", "State", True, True),
        ("Mismatch", "Cmd", "Other", False, False),
    ],
}


def file(
    messages: dict[str, list[Field]] | None = None, services: dict[str, list[Method]] | None = None
) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(name="cstest/test.proto", package=PACKAGE, syntax="proto3")
    proto.dependency.extend(["cloudstate/entity_key.proto", "cloudstate/legacy_entity_key.proto"])
    for name, fields in (MESSAGES if messages is None else messages).items():
        msg = proto.message_type.add(name=name)
        for field_name, number, kind, key, repeated in fields:
            field = msg.field.add(name=field_name, number=number, type=kind, json_name=field_name)
            field.label = FDP.LABEL_REPEATED if repeated else FDP.LABEL_OPTIONAL
            if kind == FDP.TYPE_MESSAGE:
                field.type_name = f".{PACKAGE}.State"
            if key == "key":
                field.options.Extensions[entity_key_pb2.entity_key] = True
            elif key == "legacy":
                field.options.Extensions[legacy_entity_key_pb2.legacy_entity_key] = True
    for name, methods in (SERVICES if services is None else services).items():
        service = proto.service.add(name=name)
        for method_name, input_type, output_type, client_streaming, server_streaming in methods:
            service.method.add(
                name=method_name,
                input_type=f".{PACKAGE}.{input_type}",
                output_type=f".{PACKAGE}.{output_type}",
                client_streaming=client_streaming,
                server_streaming=server_streaming,
            )
    return proto


def _with_imports(descriptor: FileDescriptor, into: dict[str, descriptor_pb2.FileDescriptorProto]) -> None:
    for dependency in descriptor.dependencies:
        _with_imports(dependency, into)
    if descriptor.name not in into:
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        into[descriptor.name] = proto


def descriptor_set(main: descriptor_pb2.FileDescriptorProto | None = None) -> bytes:
    """A FileDescriptorSet with ``main`` (default: the standard test file) and everything it imports."""
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    _with_imports(entity_key_pb2.DESCRIPTOR, files)
    _with_imports(legacy_entity_key_pb2.DESCRIPTOR, files)
    files["cstest/test.proto"] = main or file()
    return descriptor_pb2.FileDescriptorSet(file=list(files.values())).SerializeToString()


def entity(
    service: str, entity_type: str, persistence_id: str | None = None, passivation_ms: int = 0
) -> entity_pb2.Entity:
    pid = service if persistence_id is None else persistence_id
    result = entity_pb2.Entity(entity_type=entity_type, service_name=service, persistence_id=pid)
    if passivation_ms:
        result.passivation_strategy.timeout.timeout = passivation_ms
    return result


def entity_spec(
    entities: Sequence[entity_pb2.Entity] | None = None,
    proto: bytes | None = None,
    version: tuple[int, int] = (0, 2),
    passivation_ms: int = 0,
) -> entity_pb2.EntitySpec:
    default = [
        entity(ES, ES_TYPE, "es", passivation_ms),
        entity(VE, VE_TYPE, "ve", passivation_ms),
        entity(ACT, ACTION_TYPE),
    ]
    spec = entity_pb2.EntitySpec(proto=descriptor_set() if proto is None else proto)
    spec.entities.extend(default if entities is None else entities)
    spec.service_info.service_name = "cstest"
    spec.service_info.protocol_major_version, spec.service_info.protocol_minor_version = version
    return spec


_pool = descriptor_pool.DescriptorPool()
for _proto in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set()).file:
    _pool.Add(_proto)


def message_type(name: str) -> Any:
    """A message class of the test file (typed Any: its fields are only known at run time)."""
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))


Cmd = message_type("Cmd")
State = message_type("State")
Multi = message_type("Multi")
Other = message_type("Other")


def pack(msg: message.Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(msg)
    return packed
