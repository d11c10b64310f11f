"""The eventing machine and scenarios pass against a correct user function and catch broken ones."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.golden import eventing
from tck.golden.exchange import Scenario
from tck.machines import run
from tck.machines.eventing import EventingMachine
from tck.sdk import discovery
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import CATCHING, PASSING, fake_user_function

CHECKED = ("TCKM-093", "TCKM-094", "TCKM-096", "TCKM-097", "TCKM-098", "TCKM-099", "TCKM-100", "TCKM-101", "TCKM-102")


def test_a_correct_fake_passes(fake: UserFunction) -> None:
    rec = Recorder()
    run(EventingMachine, fake, rec, PASSING)
    assert not rec.failed
    assert not rec.warnings
    statuses = rec.by_requirement()
    for rid in (*CHECKED, "TCKM-095", "ANY-018", "ANY-019", "ANY-021", "EVT-024", "EVT-027"):
        assert statuses.get(rid) == "passed", rid


def test_the_fake_declares_the_eventing_model(fake: UserFunction) -> None:
    rec = Recorder()
    assert "eventing" in discovery.discover(fake, rec).areas
    assert {rid: rec.by_requirement()[rid] for rid in ("TCKM-015", "TCKM-016", "TCKM-017")} == dict.fromkeys(
        ("TCKM-015", "TCKM-016", "TCKM-017"), "passed"
    )


def test_without_eventing_the_area_is_not_discovered() -> None:
    with fake_user_function("--without", "eventing") as uf:
        assert "eventing" not in discovery.discover(uf, Recorder()).areas


@pytest.mark.parametrize("scenario", eventing.SCENARIOS.values(), ids=list(eventing.SCENARIOS))
def test_the_scenarios_pass(scenario: Scenario, fake: UserFunction) -> None:
    rec = Recorder()
    scenario(fake, rec)
    assert rec.passed
    assert not rec.failed


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("evt-subject-source", "TCKM-097"),
        ("evt-forward-method", "TCKM-098"),
        ("evt-two-first-step", "TCKM-099"),
        ("evt-json-spaced", "ANY-019"),
        ("evt-json-strict", "ANY-021"),
        ("evt-replay-fails", "TCKM-096"),
    ],
)
def test_a_broken_fake_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    rec = Recorder()
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        run(EventingMachine, uf, rec, CATCHING)
    assert requirement in caught.value.check.requirements, str(caught.value)
    if defect == "evt-json-spaced":
        assert "eventing.emit.json_recommended" in rec.warnings  # TCKM-095, a SHOULD: a warning first


@pytest.mark.parametrize(
    ("defect", "scenario", "requirement"),
    [
        ("evt-subject-source", eventing.event_one_reaches_the_subscriber, "TCKM-097"),
        ("evt-json-spaced", eventing.json_event_reaches_the_subscriber, "TCKM-094"),
        ("evt-forward-method", eventing.event_two_is_answered_step_by_step, "TCKM-098"),
    ],
)
def test_a_scenario_fails_against_a_broken_fake(defect: str, scenario: Scenario, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        scenario(uf, Recorder())
    assert requirement in caught.value.check.requirements
