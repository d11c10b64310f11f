"""Every check names requirements that exist, bind the user function, and have the check's strength."""

from __future__ import annotations

import importlib

import pytest
from cloudstate_protocol.requirements import Requirement, load_registry

from tck.checks import Check

MODULES = [
    "tck.sdk.discovery",
    "tck.sdk.discovery_spec",
    "tck.machines.entity",
    "tck.machines.eventsourced_checks",
    "tck.machines.valueentity_checks",
    "tck.machines.action",
    "tck.machines.crdt_checks",
    "tck.machines.crdt_surplus",
    "tck.machines.eventing_checks",
    "tck.golden.eventsourced",
    "tck.golden.valueentity",
    "tck.golden.action",
    "tck.golden.crdt",
    "tck.golden.eventing",
    "tck.golden.streams",
]


def checks() -> list[Check]:
    found: dict[str, Check] = {}
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            candidates = value.values() if isinstance(value, dict) else [value]
            for candidate in candidates:
                if isinstance(candidate, Check):
                    found[candidate.name] = candidate
                elif isinstance(candidate, tuple) and candidate and isinstance(candidate[0], Check):
                    found[candidate[0].name] = candidate[0]
    return list(found.values())


REGISTRY = {r.id: r for r in load_registry()}
ALL = checks()


def test_the_checks_are_found() -> None:
    assert len(ALL) > 60


@pytest.mark.parametrize("check", ALL, ids=lambda c: c.name)
def test_requirements_exist_and_bind_the_user_function(check: Check) -> None:
    requirements: list[Requirement] = []
    for rid in check.requirements:
        assert rid in REGISTRY, f"{check.name} cites {rid}, which the spec does not define"
        requirements.append(REGISTRY[rid])
    assert all(r.binds in ("user-function", "both") for r in requirements), [(r.id, r.binds) for r in requirements]


@pytest.mark.parametrize("check", ALL, ids=lambda c: c.name)
def test_only_advisory_checks_cover_recommendations(check: Check) -> None:
    levels = {REGISTRY[rid].level for rid in check.requirements}
    if check.advisory:
        assert levels <= {"SHOULD", "SHOULD NOT", "MAY"}, levels
    else:
        assert levels & {"MUST", "MUST NOT"}, levels
