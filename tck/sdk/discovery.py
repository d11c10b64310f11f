"""Discovery as the TCK's proxy sees it: ask, parse the EntitySpec, check the TCK model is declared.

:func:`discover` calls ``discover`` twice (it must be idempotent), checks the
parts of the EntitySpec that the spec constrains and returns which TCK model
areas the user function serves, so that machines for missing areas can be
skipped rather than failed.
"""

from __future__ import annotations

import dataclasses

from cloudstate import entity_pb2
from cloudstate_protocol import ENTITY_TYPES, PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION
from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from tck.checks import Check, Recorder
from tck.models import action, crdt, eventing, eventsourced, valueentity
from tck.sdk.discovery_spec import check_entity_spec
from tck.sdk.driver import UserFunction
from tck.sdk.streams import Closed

ES_TYPE, VE_TYPE, CRDT_TYPE, ACTION_TYPE = ENTITY_TYPES

PROXY_INFO = entity_pb2.ProxyInfo(
    protocol_major_version=PROTOCOL_MAJOR_VERSION,
    protocol_minor_version=PROTOCOL_MINOR_VERSION,
    proxy_name="cloudstate-tck",
    proxy_version="0.1.0",
    supported_entity_types=ENTITY_TYPES,
)

ANSWERS = Check("discovery.answers", ("DISC-004",), "discover answers with an EntitySpec")
IDEMPOTENT = Check("discovery.idempotent", ("DISC-006",), "every discover call returns the same EntitySpec")
DESCRIPTORS = Check("discovery.descriptors", ("DISC-008", "DISC-009"), "proto is a FileDescriptorSet, files once")
DEFINED = Check("discovery.services", ("DISC-015", "TCKM-002"), "every declared service is defined in proto")
TYPES = Check("discovery.entity_types", ("DISC-014",), "entity types are the four protocol names")
PERSISTENCE = Check("discovery.persistence_ids", ("DISC-016", "TCKM-018"), "entities have distinct persistence ids")
VERSION = Check("discovery.version", ("DISC-020",), "ServiceInfo reports protocol 0.2")
REPORT_ERROR = Check("discovery.report_error", ("DISC-059",), "reportError answers with Empty")

# What the TCK model requires per area: service -> (entity type, persistence id or None, passivation ms or None).
Declaration = tuple[str, str | None, int | None]
AREAS: dict[str, tuple[Check, dict[str, Declaration]]] = {
    "event-sourced": (
        Check(
            "discovery.tck.event_sourced", ("TCKM-001", "TCKM-004", "TCKM-005", "TCKM-007"), "the ES model is declared"
        ),
        {
            eventsourced.SERVICE: (ES_TYPE, eventsourced.PERSISTENCE_ID, None),
            eventsourced.TWO: (ES_TYPE, None, None),
            eventsourced.CONFIGURED: (ES_TYPE, eventsourced.CONFIGURED_PERSISTENCE_ID, 100),
        },
    ),
    "value-entity": (
        Check(
            "discovery.tck.value_entity",
            ("TCKM-001", "TCKM-008", "TCKM-009", "TCKM-010"),
            "the value entity model is declared",
        ),
        {
            valueentity.SERVICE: (VE_TYPE, valueentity.PERSISTENCE_ID, None),
            valueentity.TWO: (VE_TYPE, valueentity.TWO_PERSISTENCE_ID, None),
            valueentity.CONFIGURED: (VE_TYPE, valueentity.CONFIGURED_PERSISTENCE_ID, 100),
        },
    ),
    "action": (
        Check("discovery.tck.action", ("TCKM-001", "TCKM-014"), "the action model is declared"),
        {action.SERVICE: (ACTION_TYPE, None, None), action.TWO: (ACTION_TYPE, None, None)},
    ),
    "crdt": (
        Check("discovery.tck.crdt", ("TCKM-001", "TCKM-011", "TCKM-012"), "the CRDT model is declared"),
        {
            crdt.SERVICE: (CRDT_TYPE, None, None),
            crdt.TWO: (CRDT_TYPE, None, None),
            crdt.CONFIGURED: (CRDT_TYPE, None, 100),
        },
    ),
    "eventing": (
        Check(
            "discovery.tck.eventing", ("TCKM-001", "TCKM-015", "TCKM-016", "TCKM-017"), "the eventing model is declared"
        ),
        {
            eventing.SUBSCRIBER: (ACTION_TYPE, None, None),
            eventing.ONE: (ES_TYPE, eventing.LOG_ONE, None),
            eventing.TWO: (ES_TYPE, eventing.LOG_TWO, None),
        },
    ),
}


@dataclasses.dataclass(frozen=True)
class Discovered:
    spec: entity_pb2.EntitySpec
    entities: dict[str, entity_pb2.Entity]
    areas: frozenset[str]


def _files(proto: bytes) -> descriptor_pb2.FileDescriptorSet | str:
    files = descriptor_pb2.FileDescriptorSet()
    try:
        files.ParseFromString(proto)
    except DecodeError as error:
        return f"EntitySpec.proto does not parse: {error}"
    names = [f.name for f in files.file]
    if len(names) != len(set(names)):
        return f"files listed more than once: {sorted({n for n in names if names.count(n) > 1})}"
    return files


def _declares(entity: entity_pb2.Entity | None, declaration: Declaration) -> bool:
    kind, persistence_id, passivation = declaration
    if entity is None or entity.entity_type != kind:
        return False
    if persistence_id is not None and entity.persistence_id != persistence_id:
        return False
    timeout = entity.passivation_strategy.timeout.timeout if entity.HasField("passivation_strategy") else None
    return passivation is None or timeout == passivation


def discover(uf: UserFunction, rec: Recorder) -> Discovered:
    """Run discovery against the user function and check its answer."""
    spec = uf.discover(PROXY_INFO)
    if isinstance(spec, Closed):
        rec.fail(ANSWERS, f"discover failed with {spec.code.name}: {spec.details}")
    rec.ok(ANSWERS)
    rec.expect(IDEMPOTENT, spec, uf.discover(PROXY_INFO))
    files = _files(spec.proto)
    if isinstance(files, str):
        rec.fail(DESCRIPTORS, files)
    rec.ok(DESCRIPTORS)
    services = {f"{f.package}.{s.name}" if f.package else s.name for f in files.file for s in f.service}
    entities = {e.service_name: e for e in spec.entities}
    rec.expect(DEFINED, set(), set(entities) - services, "declared but not defined")
    rec.expect(TYPES, set(), {e.entity_type for e in spec.entities} - set(ENTITY_TYPES), "unknown entity types")
    stateful = [e.persistence_id for e in spec.entities if e.entity_type != ACTION_TYPE]
    rec.require(PERSISTENCE, all(stateful) and len(stateful) == len(set(stateful)), f"persistence ids {stateful}")
    info = spec.service_info
    rec.expect(VERSION, (0, 2), (info.protocol_major_version, info.protocol_minor_version), "protocol version")
    rec.expect(REPORT_ERROR, None, uf.report_error("warning: a test report from the TCK"))
    check_entity_spec(spec, files, rec)
    areas = set()
    for area, (check, declarations) in AREAS.items():
        if any(service in entities for service in declarations):
            present = [_declares(entities.get(service), d) for service, d in declarations.items()]
            rec.require(check, all(present), f"declarations: {dict(zip(declarations, present, strict=True))}")
            areas.add(area)
    return Discovered(spec, entities, frozenset(areas))
