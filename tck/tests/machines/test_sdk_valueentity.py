"""The value-entity machine passes against correct user functions and catches broken ones."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.machines import run
from tck.machines.valueentity import ValueEntityMachine
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import CATCHING, PASSING, fake_user_function


def test_a_fake_that_rolls_back_passes(fake: UserFunction) -> None:
    rec = Recorder()
    run(ValueEntityMachine, fake, rec, PASSING)
    assert not rec.failed
    statuses = rec.by_requirement()
    for rid in ("VE-012", "CMD-013", "VE-016", "FAIL-007", "VE-026", "FAIL-038", "TRN-031", "FAIL-041", "TCKM-047"):
        assert statuses.get(rid) == "passed", rid


def test_a_fake_that_restarts_passes(restarting_fake: UserFunction) -> None:
    rec = Recorder()
    run(ValueEntityMachine, restarting_fake, rec, PASSING)
    assert rec.by_requirement().get("VE-032") == "passed"
    assert "ve.failure.rollback" not in rec.passed


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("ve-ignore-delete", "TCKM-040"),
        ("ve-first-wins", "VE-016"),
        ("ve-no-rollback", "VE-026"),
        ("ve-command-id", "CMD-013"),
    ],
)
def test_a_broken_fake_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        run(ValueEntityMachine, uf, Recorder(), CATCHING)
    assert requirement in caught.value.check.requirements, str(caught.value)
