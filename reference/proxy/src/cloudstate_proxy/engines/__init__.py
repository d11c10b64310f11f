"""The engines, one per entity type, in a registry keyed by the entity type's protocol service name.

The registry decides what the proxy offers in ProxyInfo.supported_entity_types
and which validation rules discovery applies. A new entity type is one more
:class:`EngineType` entry: its rules and a factory that builds its
:class:`~.base.Engine` for a service.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping

from cloudstate_proxy.descriptors import ServiceModel
from cloudstate_proxy.engines.actions import ActionEngine
from cloudstate_proxy.engines.base import Engine, Invocation, Outcome, Runtime
from cloudstate_proxy.engines.crdt import CrdtEngine
from cloudstate_proxy.engines.entities import EntityEngine
from cloudstate_proxy.engines.event_sourced import EventSourcedSession
from cloudstate_proxy.engines.value_entity import ValueEntitySession
from cloudstate_proxy.validation import EntityTypeRules

EVENT_SOURCED = "cloudstate.eventsourced.EventSourced"
VALUE_ENTITY = "cloudstate.valueentity.ValueEntity"
CRDT = "cloudstate.crdt.Crdt"
ACTION = "cloudstate.action.ActionProtocol"


@dataclasses.dataclass(frozen=True)
class EngineType:
    rules: EntityTypeRules
    create: Callable[[ServiceModel, Runtime], Engine]


ENGINE_TYPES: Mapping[str, EngineType] = {
    EVENT_SOURCED: EngineType(
        EntityTypeRules(
            EVENT_SOURCED, "event-sourced entities", client_streaming=False, server_streaming=False, needs_keys=True
        ),
        functools.partial(EntityEngine, session_type=EventSourcedSession),
    ),
    VALUE_ENTITY: EngineType(
        EntityTypeRules(
            VALUE_ENTITY, "value entities", client_streaming=False, server_streaming=False, needs_keys=True
        ),
        functools.partial(EntityEngine, session_type=ValueEntitySession),
    ),
    CRDT: EngineType(
        EntityTypeRules(CRDT, "CRDT entities", client_streaming=False, server_streaming=True, needs_keys=True),
        CrdtEngine,
    ),
    ACTION: EngineType(
        EntityTypeRules(ACTION, "actions", client_streaming=True, server_streaming=True, needs_keys=False),
        ActionEngine,
    ),
}


def supported_rules(types: Mapping[str, EngineType] = ENGINE_TYPES) -> dict[str, EntityTypeRules]:
    return {name: engine_type.rules for name, engine_type in types.items()}


__all__ = [
    "ACTION",
    "CRDT",
    "ENGINE_TYPES",
    "EVENT_SOURCED",
    "VALUE_ENTITY",
    "Engine",
    "EngineType",
    "Invocation",
    "Outcome",
    "Runtime",
    "supported_rules",
]
