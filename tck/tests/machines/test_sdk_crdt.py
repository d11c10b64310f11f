"""The CRDT machine passes against a correct user function and catches broken ones."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tck.checks import ConformanceError, Recorder
from tck.machines import run
from tck.machines.crdt import CrdtMachine
from tck.sdk.driver import UserFunction
from tck.tests.fakes.harness import CATCHING, PASSING, fake_user_function

# CRDT defects show only for some of the eight types, so catching them takes more programs than elsewhere.
CATCHING_CRDT = settings(CATCHING, max_examples=150)

# What the machine must have checked (and seen pass) against a correct fake, across its rules.
COVERED = (
    "CMD-013",  # replies by command id
    "TCKM-071",  # write consistency passed through
    "TCKM-073",  # forwards
    "TCKM-074",  # side effects
    "TCKM-075",  # failures
    "TCKM-085",  # streamed messages after changes
    "TCKM-091",  # cancellations
    "TCKM-081",  # CrdtTwo
    "TCKM-082",  # CrdtConfigured
    "TCKM-080",  # CrdtDelete
    "CRDT-016",  # init first, and only once
    "CRDT-018",  # a delta of another type
    "TCKM-060",  # ... also before the entity has a value
    "CRDT-008",  # deltas from other replicas
    "CRDT-009",  # the user function's own deltas
    "CRDT-ORSET-003",
    "CRDT-LWW-003",
    "CRDT-ORMAP-006",
    "CRDT-VOTE-001",
    "TRN-031",
)


def test_a_correct_fake_passes(fake: UserFunction) -> None:
    rec = Recorder()
    run(CrdtMachine, fake, rec, PASSING)
    assert not rec.failed
    statuses = rec.by_requirement()
    missing = [rid for rid in COVERED if statuses.get(rid) != "passed"]
    assert not missing, missing


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        ("crdt-reapply-own", "CRDT-009"),
        ("crdt-orset-both", "CRDT-ORSET-003"),
        ("crdt-lww-clock", "CRDT-LWW-003"),
        ("crdt-echo-remote", "CRDT-023"),
        ("crdt-remote-twice", "CRDT-008"),
    ],
)
def test_a_broken_fake_fails_naming_the_requirement(defect: str, requirement: str) -> None:
    with fake_user_function("--defect", defect) as uf, pytest.raises(ConformanceError) as caught:
        run(CrdtMachine, uf, Recorder(), CATCHING_CRDT)
    assert requirement in caught.value.check.requirements, str(caught.value)
