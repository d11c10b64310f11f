"""Further checks of a user function's EntitySpec: the model files as compiled, file order, declarations.

:func:`check_entity_spec` runs after :func:`tck.sdk.discovery.discover` has
parsed the descriptor set. The model's own ``.proto`` files must arrive as this
specification compiles them (TCKM-002, DISC-010): the TCK compares each one with
the descriptor the ``cloudstate-protocol`` package was generated from, minus
what compilers may legitimately differ in (comments, ``json_name``). The
recommendations (SHOULD) are advisory checks: a deviation is a warning.
"""

from __future__ import annotations

import re

from cloudstate import entity_pb2
from cloudstate.tck.model import action_pb2, crdt_pb2, eventlogeventing_pb2, eventsourced_pb2, valueentity_pb2
from google.protobuf import descriptor_pb2

from tck.checks import Check, Recorder
from tck.models import crdt, eventsourced, valueentity

MODEL_FILES = {
    module.DESCRIPTOR.name: descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
    for module in (action_pb2, crdt_pb2, eventlogeventing_pb2, eventsourced_pb2, valueentity_pb2)
}
MODEL_SERVICES = frozenset(f"{f.package}.{service.name}" for f in MODEL_FILES.values() for service in f.service)

AS_COMPILED = Check(
    "discovery.model_files",
    ("TCKM-002", "DISC-010"),
    "the model's .proto files arrive unchanged, options (entity_key, google.api.http, eventing) included",
)
ONE_ENTITY_EACH = Check("discovery.one_entity_each", ("DISC-013",), "no service is declared by two entities")
DEPENDENCY_ORDER = Check(
    "discovery.file_order", ("DISC-011",), "every file comes after the files it imports", advisory=True
)
ID_CHARACTERS = Check(
    "discovery.persistence_id_characters", ("DISC-018",), "persistence ids use only A-Z a-z 0-9 . _ -", advisory=True
)
SERVICE_INFO = Check(
    "discovery.service_info", ("DISC-021",), "support library name and version and runtime are filled in", advisory=True
)
RECOMMENDED_IDS = Check(
    "discovery.tck.recommended_ids", ("TCKM-006", "TCKM-013"), "the recommended persistence ids", advisory=True
)
DEFAULT_PASSIVATION = Check(
    "discovery.tck.default_passivation",
    ("TCKM-019",),
    "no passivation strategy on model services other than the *Configured ones",
    advisory=True,
)
CONFIGURED_TIMEOUT = Check(
    "discovery.configured_timeout",
    ("PASS-001",),
    "a configured idle timeout is sent as passivation_strategy.timeout.timeout in milliseconds",
)

RECOMMENDED = {
    eventsourced.TWO: "event-sourced-tck-model-two",
    crdt.SERVICE: crdt.PERSISTENCE_ID,
    crdt.TWO: crdt.TWO_PERSISTENCE_ID,
    crdt.CONFIGURED: crdt.CONFIGURED_PERSISTENCE_ID,
}
CONFIGURED = (eventsourced.CONFIGURED, valueentity.CONFIGURED, crdt.CONFIGURED)
_ID = re.compile(r"[A-Za-z0-9._-]+")


def comparable(file: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """A copy without what may differ between compilers of the same file: comments and derived JSON names."""
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(file)
    copy.ClearField("source_code_info")
    for message in _messages(list(copy.message_type)):
        for field in message.field:
            field.ClearField("json_name")
    return copy


def _messages(types: list[descriptor_pb2.DescriptorProto]) -> list[descriptor_pb2.DescriptorProto]:
    return [m for t in types for m in (t, *_messages(list(t.nested_type)))]


def out_of_order(files: list[descriptor_pb2.FileDescriptorProto]) -> list[str]:
    """Files listed before one of their imports (among the imports the set contains)."""
    position = {f.name: n for n, f in enumerate(files)}
    return [f.name for n, f in enumerate(files) if any(position.get(d, -1) > n for d in f.dependency)]


def check_entity_spec(spec: entity_pb2.EntitySpec, files: descriptor_pb2.FileDescriptorSet, rec: Recorder) -> None:
    """The checks of this module, on a descriptor set that parsed."""
    changed = sorted(
        f.name for f in files.file if f.name in MODEL_FILES and comparable(f) != comparable(MODEL_FILES[f.name])
    )
    rec.expect(AS_COMPILED, [], changed, "model files that differ from the specification's")
    services = [e.service_name for e in spec.entities]
    rec.expect(ONE_ENTITY_EACH, [], sorted({s for s in services if services.count(s) > 1}), "declared twice")
    rec.expect(DEPENDENCY_ORDER, [], out_of_order(list(files.file)), "files listed before an import")
    ids = sorted({e.persistence_id for e in spec.entities if e.persistence_id})
    rec.expect(ID_CHARACTERS, [], [i for i in ids if not _ID.fullmatch(i)], "persistence ids with other characters")
    info = spec.service_info
    filled = (bool(info.support_library_name), bool(info.support_library_version), bool(info.service_runtime))
    rec.expect(SERVICE_INFO, (True, True, True), filled, "library name, library version, runtime filled in")
    entities = {e.service_name: e for e in spec.entities}
    found = {s: entities[s].persistence_id for s in RECOMMENDED if s in entities}
    rec.expect(RECOMMENDED_IDS, {s: RECOMMENDED[s] for s in found}, found, "persistence ids")
    model = MODEL_SERVICES & set(entities)
    timed = sorted(s for s in model - set(CONFIGURED) if entities[s].HasField("passivation_strategy"))
    rec.expect(DEFAULT_PASSIVATION, [], timed, "model services with a passivation strategy")
    for service in (s for s in CONFIGURED if s in entities):
        strategy = entities[service].passivation_strategy
        sent = strategy.timeout.timeout if strategy.WhichOneof("strategy") == "timeout" else None
        rec.expect(CONFIGURED_TIMEOUT, 100, sent, f"{service}: passivation_strategy.timeout.timeout")
