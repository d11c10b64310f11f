"""Discovery checks: a correct fake passes, broken EntitySpecs fail naming the requirement."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.sdk import discovery
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import fake_user_function


def test_a_correct_fake_declares_five_areas(fake: UserFunction) -> None:
    rec = Recorder()
    found = discovery.discover(fake, rec)
    assert found.areas == {"event-sourced", "value-entity", "action", "crdt", "eventing"}
    assert found.entities["cloudstate.tck.model.EventSourcedConfigured"].passivation_strategy.timeout.timeout == 100
    statuses = rec.by_requirement()
    for rid in (
        "DISC-004",
        "DISC-006",
        "DISC-008",
        "DISC-015",
        "DISC-020",
        "DISC-059",
        "TCKM-004",
        "TCKM-011",
        "TCKM-014",
        "TCKM-001",
        "TCKM-002",
        "DISC-010",
        "DISC-011",
        "DISC-013",
        "PASS-001",
    ):
        assert statuses[rid] == "passed", rid


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("disc-version", "DISC-020"),
        ("disc-persistence", "TCKM-004"),
        ("disc-undefined", "DISC-015"),
        ("disc-key-option", "DISC-010"),
        ("disc-twice", "DISC-013"),
    ],
)
def test_a_broken_entity_spec_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        discovery.discover(uf, Recorder())
    assert requirement in caught.value.check.requirements


def test_the_fake_refuses_unknown_defects() -> None:
    with pytest.raises(AssertionError, match="did not start"), fake_user_function("--defect", "no-such-defect"):
        pass


def test_an_unreachable_user_function_fails_discovery() -> None:
    uf = UserFunction("127.0.0.1:1", timeout=2)
    try:
        with pytest.raises(ConformanceError, match="DISC-004"):
            discovery.discover(uf, Recorder())
    finally:
        uf.close()
