"""Every proxy-direction check names requirements that exist, bind the proxy, and have the check's strength."""

from __future__ import annotations

import importlib

import pytest
from cloudstate_protocol.requirements import load_registry

from tck.checks import Check

MODULES = ["tck.proxy.checks", "tck.proxy.golden"]
REGISTRY = {r.id: r for r in load_registry()}
ALL = [v for name in MODULES for v in vars(importlib.import_module(name)).values() if isinstance(v, Check)]


def test_the_checks_are_found() -> None:
    assert len(ALL) > 50
    assert len({c.name for c in ALL}) == len(ALL), "two checks share a name"


@pytest.mark.parametrize("check", ALL, ids=lambda c: c.name)
def test_requirements_exist_and_bind_the_proxy(check: Check) -> None:
    missing = [rid for rid in check.requirements if rid not in REGISTRY]
    assert not missing, f"{check.name} cites {missing}, which the spec does not define"
    binds = {rid: REGISTRY[rid].binds for rid in check.requirements}
    assert set(binds.values()) <= {"proxy", "both"}, binds


@pytest.mark.parametrize("check", ALL, ids=lambda c: c.name)
def test_only_advisory_checks_cover_recommendations(check: Check) -> None:
    levels = {REGISTRY[rid].level for rid in check.requirements}
    if check.advisory:
        assert levels <= {"SHOULD", "SHOULD NOT", "MAY"}, levels
    else:
        assert levels & {"MUST", "MUST NOT"}, levels
