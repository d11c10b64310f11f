"""Status of StatefulServices and StatefulStores, computed from what was observed (pure).

The four StatefulService conditions mean:

Ready
    Every desired replica runs the current spec and is ready.
Progressing
    The service is moving toward its spec (a rollout, new children) and nothing blocks it.
Degraded
    Something needs a person: an invalid spec, a child name taken by another
    object, or a rollout Kubernetes gave up on.
StoreUnavailable
    The StatefulStore or its Secret cannot be used; the operator retries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from cloudstate_operator.errors import DependencyMissing, InvalidSpec, OperatorError


@dataclasses.dataclass(frozen=True)
class Condition:
    type: str
    status: bool | None  # None: Unknown
    reason: str
    message: str = ""


def merge_conditions(
    previous: Sequence[Mapping[str, Any]], current: Sequence[Condition], *, now: str, generation: int | None
) -> list[dict[str, Any]]:
    """``current`` as status conditions; a condition whose status did not change keeps its transition time."""
    before = {item.get("type"): item for item in previous}
    merged = []
    for condition in current:
        status = {True: "True", False: "False", None: "Unknown"}[condition.status]
        old = before.get(condition.type) or {}
        entry: dict[str, Any] = {
            "type": condition.type,
            "status": status,
            "reason": condition.reason,
            "message": condition.message,
            "lastTransitionTime": old.get("lastTransitionTime", now) if old.get("status") == status else now,
        }
        if generation is not None:
            entry["observedGeneration"] = generation
        merged.append(entry)
    return merged


@dataclasses.dataclass(frozen=True)
class ServiceObservation:
    """What one reconciliation of a StatefulService found."""

    desired_replicas: int | None = None
    #: InvalidSpec or DependencyMissing when the spec could not be rendered.
    error: OperatorError | None = None
    deployment: Mapping[str, Any] | None = None
    conflicts: tuple[str, ...] = ()
    in_memory: bool = False


def service_conditions(seen: ServiceObservation) -> list[Condition]:
    if isinstance(seen.error, InvalidSpec):
        why = seen.error.message
        return [
            Condition("Ready", False, "InvalidSpec", why),
            Condition("Progressing", False, "InvalidSpec", why),
            Condition("Degraded", True, "InvalidSpec", why),
            Condition("StoreUnavailable", None, "InvalidSpec", "the spec is not valid"),
        ]
    if isinstance(seen.error, DependencyMissing):
        why = seen.error.message
        return [
            Condition("Ready", False, "StoreUnavailable", why),
            Condition("Progressing", False, "StoreUnavailable", "waiting for the store: " + why),
            Condition("Degraded", False, "AsExpected"),
            Condition("StoreUnavailable", True, seen.error.reason, why),
        ]
    store = Condition("StoreUnavailable", False, "InMemory" if seen.in_memory else "StoreResolved")
    if seen.conflicts:
        why = ", ".join(seen.conflicts) + " already exist(s) and do(es) not belong to this StatefulService"
        return [
            Condition("Ready", False, "ChildConflict", why),
            Condition("Progressing", False, "ChildConflict", why),
            Condition("Degraded", True, "ChildConflict", why),
            store,
        ]
    return [*_rollout(seen.deployment or {}, seen.desired_replicas or 0), store]


def _rollout(deployment: Mapping[str, Any], desired: int) -> list[Condition]:
    status = deployment.get("status") or {}
    generation = (deployment.get("metadata") or {}).get("generation")
    seen_generation = status.get("observedGeneration")
    updated = status.get("updatedReplicas", 0)
    ready = status.get("readyReplicas", 0)
    total = status.get("replicas", 0)
    counts = f"{updated}/{desired} updated, {ready}/{desired} ready"
    current = generation is None or (seen_generation is not None and seen_generation >= generation)
    done = current and updated >= desired and ready >= desired and total == desired
    kube = {item.get("type"): item for item in status.get("conditions") or []}
    stalled = kube.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded"
    failure = kube.get("ReplicaFailure", {})
    if stalled:
        degraded = Condition("Degraded", True, "RolloutStalled", kube["Progressing"].get("message", counts))
    elif failure.get("status") == "True":
        degraded = Condition("Degraded", True, "ReplicaFailure", failure.get("message", ""))
    else:
        degraded = Condition("Degraded", False, "AsExpected")
    if done:
        reason = "ScaledToZero" if desired == 0 else "AllReplicasReady"
        return [
            Condition("Ready", True, reason, counts),
            Condition("Progressing", False, "RolloutComplete", counts),
            degraded,
        ]
    return [
        Condition("Ready", False, "ReplicasNotReady", counts),
        Condition("Progressing", not stalled, "RolloutStalled" if stalled else "RollingOut", counts),
        degraded,
    ]


def store_conditions(error: OperatorError | None) -> list[Condition]:
    if error is None:
        return [Condition("Ready", True, "Valid")]
    return [Condition("Ready", False, error.reason, error.message)]


def unchanged(previous: Mapping[str, Any], patch: Mapping[str, Any]) -> bool:
    """Whether merging ``patch`` into ``previous`` would change nothing (so no write is needed)."""
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(previous.get(key), Mapping):
            if not unchanged(previous[key], value):
                return False
        elif previous.get(key) != value:
            return False
    return True
