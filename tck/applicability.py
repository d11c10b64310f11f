"""Which requirements and suites apply to a target, from what it declares.

A run checks the user function (SDK direction), the proxy (proxy direction) or
both; a requirement applies when the party it binds is under test and its
capability is in use: declared by the user function's EntitySpec (an entity
of that type, or the eventing TCK model) and, for a requirement on the proxy,
supported by the proxy when it said what it supports (ProxyInfo). ``core``
always applies and ``http`` applies to proxies. Everything else is reported as
"not applicable", with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from cloudstate import entity_pb2
from cloudstate_protocol.requirements import Requirement

from tck.suites import Direction, Suite

#: The protocol service of each entity capability (the entity types of spec 02).
ENTITY_CAPABILITIES = {
    "cloudstate.eventsourced.EventSourced": "event-sourced",
    "cloudstate.valueentity.ValueEntity": "value-entity",
    "cloudstate.crdt.Crdt": "crdt",
    "cloudstate.action.ActionProtocol": "action",
}
EVENTING_MODEL = "cloudstate.tck.model.eventlogeventing."


@dataclasses.dataclass(frozen=True)
class Declared:
    """What the user function declared in discovery, and what the proxy said it supports (None: not known)."""

    services: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset({"core"})
    proxy_supports: frozenset[str] | None = None
    #: False until a discovery answered: then nothing can be ruled out by capability.
    known: bool = False

    @classmethod
    def from_spec(cls, spec: entity_pb2.EntitySpec | None, proxy: entity_pb2.ProxyInfo | None = None) -> Declared:
        entities: Iterable[entity_pb2.Entity] = spec.entities if spec is not None else ()
        services = frozenset(e.service_name for e in entities)
        capabilities = {"core"} | {
            ENTITY_CAPABILITIES[e.entity_type] for e in entities if e.entity_type in ENTITY_CAPABILITIES
        }
        if any(s.startswith(EVENTING_MODEL) for s in services):
            capabilities.add("eventing")
        supports = None
        if proxy is not None and proxy.supported_entity_types:
            supports = frozenset(ENTITY_CAPABILITIES.get(t, t) for t in proxy.supported_entity_types)
        return cls(services, frozenset(capabilities), supports, known=spec is not None)

    def merge(self, other: Declared) -> Declared:
        """What either discovery declared (the two directions may start different user functions)."""
        if not self.known or not other.known:
            return other if other.known else self
        supports = other.proxy_supports if other.proxy_supports is not None else self.proxy_supports
        return Declared(self.services | other.services, self.capabilities | other.capabilities, supports, True)


def requirement_reason(requirement: Requirement, directions: frozenset[Direction], declared: Declared) -> str | None:
    """Why ``requirement`` does not apply to this run, or None when it does."""
    binds = {"user-function": {"sdk"}, "proxy": {"proxy"}, "both": {"sdk", "proxy"}}[requirement.binds]
    if not binds & directions:
        party = "user function" if requirement.binds == "user-function" else "proxy"
        return f"no {party} is under test in this run"
    capability = requirement.capability
    if capability == "http":
        return None if "proxy" in directions else "HTTP/JSON is served by a proxy, and no proxy is under test"
    if declared.known and capability not in declared.capabilities:
        return f"the user function declares no {capability} entity"
    if requirement.binds == "proxy" and not _supported(capability, declared):
        return f"the proxy does not support {capability} entities (ProxyInfo.supported_entity_types)"
    return None


def _supported(capability: str, declared: Declared) -> bool:
    """Whether the proxy supports the capability: ProxyInfo lists entity types only, so it rules out nothing else."""
    supports = declared.proxy_supports
    return supports is None or capability not in ENTITY_CAPABILITIES.values() or capability in supports


def suite_reason(suite: Suite, declared: Declared) -> str | None:
    """Why ``suite`` does not run against this target, or None when it does."""
    if suite.capability not in declared.capabilities | {"http"}:
        return f"the user function declares no {suite.capability} entity"
    if suite.services and not set(suite.services) & declared.services:
        return f"the user function declares none of {', '.join(suite.services)}"
    if suite.direction == "proxy" and not _supported(suite.capability, declared):
        return f"the proxy does not support {suite.capability} entities"
    return None


__all__ = ["ENTITY_CAPABILITIES", "EVENTING_MODEL", "Declared", "requirement_reason", "suite_reason"]
