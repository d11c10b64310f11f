"""The action machine passes against a correct user function and catches broken ones."""

from __future__ import annotations

import pytest

from tck.checks import ConformanceError, Recorder
from tck.machines import run
from tck.machines.action import ActionMachine
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import CATCHING, PASSING, fake_user_function


def test_a_correct_fake_passes(fake: UserFunction) -> None:
    rec = Recorder()
    run(ActionMachine, fake, rec, PASSING)
    assert not rec.failed
    statuses = rec.by_requirement()
    for rid in ("TCKM-053", "TCKM-054", "TCKM-055", "TCKM-056", "TCKM-059", "ACT-010", "ACT-018"):
        assert statuses.get(rid) == "passed", rid


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("action-streamed-in-first", "TCKM-054"),
        ("action-forward-method", "TCKM-049"),
        ("action-stop-on-failure", "TCKM-057"),
    ],
)
def test_a_broken_fake_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        run(ActionMachine, uf, Recorder(), CATCHING)
    assert requirement in caught.value.check.requirements, str(caught.value)
