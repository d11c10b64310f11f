"""Validation of an EntitySpec (spec/02-discovery.md), producing the services to serve.

Every problem found is collected, so that one reportError names them all;
any problem makes discovery fail for good.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from cloudstate import entity_pb2
from google.protobuf import descriptor_pool

from cloudstate_proxy import keys
from cloudstate_proxy.descriptors import MethodModel, ServiceModel, build_pool, message_class
from cloudstate_proxy.errors import DiscoveryError


@dataclasses.dataclass(frozen=True)
class EntityTypeRules:
    """What an entity type allows in the services it serves."""

    entity_type: str
    #: How messages name the entities of this type, e.g. "event-sourced entities".
    label: str
    client_streaming: bool
    server_streaming: bool
    needs_keys: bool


def _method_problems(rules: EntityTypeRules, model: MethodModel) -> list[str]:
    problems = []
    where = f"entity {model.service}: method {model.name}"
    if model.client_streaming and not rules.client_streaming:
        problems.append(f"{where} is client-streaming, which {rules.label} do not support")
    if model.server_streaming and not rules.server_streaming:
        problems.append(f"{where} is server-streaming, which {rules.label} do not support")
    if rules.needs_keys:
        if not model.key_fields:
            problems.append(
                f"{where}: input type {model.descriptor.input_type.full_name} has no entity key field "
                "(a field marked with the option cloudstate.entity_key)"
            )
        problems.extend(f"{where}: {p}" for f in model.key_fields if (p := keys.key_field_problem(f)))
    return problems


def _entity_problems(entity: entity_pb2.Entity, owners: dict[tuple[str, str], str]) -> list[str]:
    """Persistence id and passivation checks of a stateful entity (DISC-044, DISC-045, PASS-006)."""
    problems, where = [], f"entity {entity.service_name}"
    if not entity.persistence_id:
        problems.append(f"{where}: persistence_id is empty")
    elif (owner := owners.setdefault((entity.entity_type, entity.persistence_id), entity.service_name)) != (
        entity.service_name
    ):
        problems.append(f"{where}: persistence_id {entity.persistence_id!r} is already used by {owner}")
    strategy = entity.passivation_strategy
    if strategy.WhichOneof("strategy") == "timeout" and strategy.timeout.timeout <= 0:
        problems.append(f"{where}: passivation timeout {strategy.timeout.timeout} ms is not positive")
    return problems


def _service(
    entity: entity_pb2.Entity, pool: descriptor_pool.DescriptorPool, rules: EntityTypeRules, problems: list[str]
) -> ServiceModel | None:
    try:
        service = pool.FindServiceByName(entity.service_name)
    except KeyError:
        problems.append(f"entity {entity.service_name}: no such service in EntitySpec.proto")
        return None
    methods = {}
    for method in service.methods:
        model = MethodModel(
            service=service.full_name,
            name=method.name,
            descriptor=method,
            input_class=message_class(method.input_type),
            output_class=message_class(method.output_type),
            key_fields=keys.key_fields(method.input_type),
        )
        problems.extend(_method_problems(rules, model))
        methods[method.name] = model
    timeout_ms = entity.passivation_strategy.timeout.timeout
    return ServiceModel(
        name=service.full_name,
        entity_type=entity.entity_type,
        persistence_id=entity.persistence_id,
        passivation_timeout=timeout_ms / 1000 if timeout_ms > 0 else None,
        descriptor=service,
        methods=methods,
        keyed=rules.needs_keys,
    )


def validate(
    spec: entity_pb2.EntitySpec, supported: Mapping[str, EntityTypeRules]
) -> tuple[descriptor_pool.DescriptorPool, tuple[ServiceModel, ...]]:
    """The descriptor pool and the services of a valid EntitySpec; DiscoveryError naming every problem."""
    pool = build_pool(spec.proto)
    problems: list[str] = []
    if not spec.entities:
        problems.append("EntitySpec.entities is empty: the user function declares no entity or action")
    services: list[ServiceModel] = []
    seen: set[str] = set()
    owners: dict[tuple[str, str], str] = {}  # (entity type, persistence id) -> service
    for entity in spec.entities:
        if entity.service_name in seen:
            problems.append(f"entity {entity.service_name}: the service is declared more than once")
            continue
        seen.add(entity.service_name)
        rules = supported.get(entity.entity_type)
        if rules is None:
            problems.append(
                f"entity {entity.service_name}: entity type {entity.entity_type!r} is not supported by this proxy "
                f"(supported: {', '.join(sorted(supported))})"
            )
            continue
        if rules.needs_keys:
            problems.extend(_entity_problems(entity, owners))
        model = _service(entity, pool, rules, problems)
        if model is not None:
            services.append(model)
    if problems:
        raise DiscoveryError(*problems)
    return pool, tuple(services)
