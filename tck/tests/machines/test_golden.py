"""The golden scenarios pass against correct user functions and fail against broken ones."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.golden import SCENARIOS
from tck.golden.exchange import Scenario
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import fake_user_function

ALL = [pytest.param(f, id=f"{area}:{name}") for area, scenarios in SCENARIOS.items() for name, f in scenarios.items()]


@pytest.mark.parametrize("scenario", ALL)
def test_passes_against_a_fake_that_rolls_back(scenario: Scenario, fake: UserFunction) -> None:
    rec = Recorder()
    scenario(fake, rec)
    assert rec.passed
    assert not rec.failed


@pytest.mark.parametrize("scenario", ALL)
def test_passes_against_a_fake_that_restarts(scenario: Scenario, restarting_fake: UserFunction) -> None:
    scenario(restarting_fake, Recorder())


@pytest.mark.parametrize(
    ("defect", "scenario", "requirement"),
    [
        ("es-snapshot-late", SCENARIOS["event-sourced"]["snapshots_every_five_events"], "ES-032"),
        ("es-ignore-snapshot", SCENARIOS["event-sourced"]["recovery_from_snapshot_and_events"], "ES-014"),
        ("es-failure-events", SCENARIOS["event-sourced"]["failure_drops_events_and_effects"], "FAIL-007"),
        ("es-cached-state", SCENARIOS["event-sourced"]["hundred_independent_streams"], "TRN-034"),
        ("ve-first-wins", SCENARIOS["value-entity"]["last_update_or_delete_wins"], "VE-016"),
        ("action-stop-on-failure", SCENARIOS["action"]["duplex_goes_on_after_a_failure"], "TCKM-057"),
        ("crdt-echo-remote", SCENARIOS["crdt"]["gcounter_increments"], "CRDT-GCOUNTER-002"),
        ("crdt-remote-twice", SCENARIOS["crdt"]["streamed_call_ends_at_its_end_state"], "TCKM-088"),
    ],
)
def test_fails_against_a_broken_fake(defect: str, scenario: Scenario, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        scenario(uf, Recorder())
    assert requirement in caught.value.check.requirements
