"""The reviewed exclusion list of the reference pair: it parses, and it excludes only what the registry knows."""

from __future__ import annotations

from pathlib import Path

from cloudstate_protocol.requirements import load_registry

from tck import exclusions

REFERENCE = Path(__file__).parents[3] / "reports" / "exclusions-reference.yaml"


def test_the_reference_exclusions_parse_and_give_a_reason_for_each_entry() -> None:
    registry = {r.id: r for r in load_registry()}
    excluded = exclusions.load(REFERENCE, registry)
    assert excluded, "an empty list belongs deleted, not kept"
    for rid, reason in excluded.items():
        assert registry[rid].level in {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT"}, rid
        assert len(reason) > 40, f"{rid}: say why, and where the gap is"
