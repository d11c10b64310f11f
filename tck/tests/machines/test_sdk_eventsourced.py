"""The event-sourced machine passes against correct user functions and catches broken ones."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.machines import run
from tck.machines.eventsourced import EventSourcedMachine
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import CATCHING, PASSING, fake_user_function


def test_a_fake_that_rolls_back_passes(fake: UserFunction) -> None:
    rec = Recorder()
    run(EventSourcedMachine, fake, rec, PASSING)
    assert not rec.failed
    statuses = rec.by_requirement()
    for rid in ("ES-021", "CMD-013", "ES-032", "FAIL-007", "ES-041", "ES-054", "TRN-031", "FAIL-041", "TCKM-035"):
        assert statuses.get(rid) == "passed", rid


def test_a_fake_that_restarts_passes(restarting_fake: UserFunction) -> None:
    rec = Recorder()
    run(EventSourcedMachine, restarting_fake, rec, PASSING)
    assert rec.by_requirement().get("ES-048") == "passed"
    assert "es.failure.rollback" not in rec.passed  # never probed: it always restarted


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("es-command-id", "CMD-013"),
        ("es-empty-snapshot", "ES-026"),
        ("es-snapshot-late", "ES-032"),
        ("es-drop-effect", "TCKM-027"),
        ("es-no-rollback", "ES-041"),
        ("es-failure-events", "FAIL-007"),
        ("es-forward-method", "TCKM-026"),
        ("es-ignore-snapshot", "ES-014"),
        ("es-lenient", "FAIL-037"),
    ],
)
def test_a_broken_fake_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        run(EventSourcedMachine, uf, Recorder(), CATCHING)
    assert requirement in caught.value.check.requirements, str(caught.value)
