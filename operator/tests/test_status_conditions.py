"""Status conditions from observations (conditions.py)."""

from __future__ import annotations

from typing import Any

import pytest
from cloudstate_operator.conditions import (
    Condition,
    ServiceObservation,
    merge_conditions,
    service_conditions,
    store_conditions,
    unchanged,
)
from cloudstate_operator.errors import DependencyMissing, InvalidSpec


def summary(seen: ServiceObservation) -> dict[str, tuple[bool | None, str]]:
    return {c.type: (c.status, c.reason) for c in service_conditions(seen)}


def deployment(generation: int = 2, **status: Any) -> dict[str, Any]:
    return {"metadata": {"generation": generation}, "status": status}


def test_a_finished_rollout_is_ready() -> None:
    seen = ServiceObservation(
        desired_replicas=2,
        deployment=deployment(observedGeneration=2, replicas=2, updatedReplicas=2, readyReplicas=2),
    )
    assert summary(seen) == {
        "Ready": (True, "AllReplicasReady"),
        "Progressing": (False, "RolloutComplete"),
        "Degraded": (False, "AsExpected"),
        "StoreUnavailable": (False, "StoreResolved"),
    }


@pytest.mark.parametrize(
    "status",
    [
        {},  # just created, nothing reported yet
        {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2},  # old generation
        {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2},  # old pod still there
        {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1},
    ],
)
def test_an_unfinished_rollout_is_progressing(status: dict[str, Any]) -> None:
    seen = ServiceObservation(desired_replicas=2, deployment=deployment(**status), in_memory=True)
    result = summary(seen)
    assert result["Ready"] == (False, "ReplicasNotReady")
    assert result["Progressing"] == (True, "RollingOut")
    assert result["StoreUnavailable"] == (False, "InMemory")


def test_scaled_to_zero_is_ready() -> None:
    seen = ServiceObservation(desired_replicas=0, deployment=deployment(observedGeneration=2))
    assert summary(seen)["Ready"] == (True, "ScaledToZero")


def test_a_stalled_rollout_is_degraded() -> None:
    stalled = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}
    seen = ServiceObservation(desired_replicas=1, deployment=deployment(observedGeneration=2, conditions=[stalled]))
    result = {c.type: c for c in service_conditions(seen)}
    assert (result["Degraded"].status, result["Degraded"].reason, result["Degraded"].message) == (
        True,
        "RolloutStalled",
        "too slow",
    )
    assert (result["Progressing"].status, result["Progressing"].reason) == (False, "RolloutStalled")


def test_a_replica_failure_is_degraded() -> None:
    failure = {"type": "ReplicaFailure", "status": "True", "message": "quota exceeded"}
    seen = ServiceObservation(desired_replicas=1, deployment=deployment(conditions=[failure]))
    assert summary(seen)["Degraded"] == (True, "ReplicaFailure")


def test_an_invalid_spec_is_degraded_and_not_ready() -> None:
    result = summary(ServiceObservation(error=InvalidSpec("spec.replicas must be at least 0")))
    assert result == {
        "Ready": (False, "InvalidSpec"),
        "Progressing": (False, "InvalidSpec"),
        "Degraded": (True, "InvalidSpec"),
        "StoreUnavailable": (None, "InvalidSpec"),
    }


@pytest.mark.parametrize("reason", ["StoreNotFound", "StoreInvalid", "SecretNotFound", "SecretKeyMissing"])
def test_a_missing_dependency_makes_the_store_unavailable(reason: str) -> None:
    result = summary(ServiceObservation(error=DependencyMissing("gone", reason=reason)))
    assert result["StoreUnavailable"] == (True, reason)
    assert result["Ready"] == (False, "StoreUnavailable")
    assert result["Degraded"] == (False, "AsExpected")


def test_a_child_conflict_is_degraded() -> None:
    result = summary(ServiceObservation(desired_replicas=1, conflicts=("Service/cart",)))
    assert result["Degraded"] == (True, "ChildConflict")


def test_transition_times_change_only_with_the_status() -> None:
    first = merge_conditions([], [Condition("Ready", False, "RollingOut")], now="T1", generation=1)
    assert first == [
        {
            "type": "Ready",
            "status": "False",
            "reason": "RollingOut",
            "message": "",
            "lastTransitionTime": "T1",
            "observedGeneration": 1,
        }
    ]
    same = merge_conditions(first, [Condition("Ready", False, "StillRolling", "1/2")], now="T2", generation=2)
    assert same[0]["lastTransitionTime"] == "T1"
    flipped = merge_conditions(same, [Condition("Ready", True, "AllReplicasReady")], now="T3", generation=2)
    assert flipped[0]["lastTransitionTime"] == "T3"


def test_store_conditions() -> None:
    assert store_conditions(None) == [Condition("Ready", True, "Valid")]
    assert store_conditions(DependencyMissing("no secret", reason="SecretNotFound")) == [
        Condition("Ready", False, "SecretNotFound", "no secret")
    ]


def test_unchanged_compares_a_merge_patch_against_the_current_status() -> None:
    current = {"replicas": 1, "conditions": [{"type": "Ready"}], "nested": {"a": 1, "b": 2}}
    assert unchanged(current, {"replicas": 1, "nested": {"a": 1}})
    assert not unchanged(current, {"replicas": 2})
    assert not unchanged(current, {"nested": {"c": 3}})
    assert not unchanged(current, {"conditions": []})
