"""The recorder: passes, failures, advisory warnings and excluded requirements."""

from __future__ import annotations

import pytest

from tck.checks import Check, ConformanceError, Recorder

MUST = Check("t.must", ("X-001", "X-002"), "a must")
SHOULD = Check("t.should", ("X-003",), "a should", advisory=True)
OTHER = Check("t.other", ("X-002",), "another must")


def test_a_failure_raises_naming_the_requirements() -> None:
    rec = Recorder()
    with pytest.raises(ConformanceError, match=r"^\[X-001, X-002\] t\.must: a must\nwhat: expected 1") as caught:
        rec.expect(MUST, 1, 2, "what")
    assert caught.value.check is MUST
    assert rec.by_requirement() == {"X-001": "failed", "X-002": "failed"}


def test_an_advisory_failure_is_a_warning() -> None:
    rec = Recorder()
    rec.require(SHOULD, False, "not done")
    assert rec.warnings == {"t.should": "not done"}
    assert rec.by_requirement() == {"X-003": "warning"}


def test_excluded_requirements_do_not_raise_but_are_reported() -> None:
    rec = Recorder(excluded=frozenset({"X-001", "X-002"}))
    rec.expect(MUST, 1, 2)
    rec.expect(OTHER, 1, 1)
    assert set(rec.excused) == {"t.must"}
    assert rec.by_requirement() == {"X-001": "excluded", "X-002": "excluded"}


def test_a_partly_excluded_check_still_raises() -> None:
    with pytest.raises(ConformanceError):
        Recorder(excluded=frozenset({"X-001"})).expect(MUST, 1, 2)


def test_the_worst_result_of_a_requirement_wins() -> None:
    rec = Recorder()
    rec.expect(OTHER, 1, 1)
    with pytest.raises(ConformanceError):
        rec.expect(MUST, 1, 2)
    rec.expect(OTHER, 1, 1)
    assert rec.by_requirement()["X-002"] == "failed"
    assert rec.passed["t.other"] == 2


def test_a_check_must_cover_a_requirement() -> None:
    with pytest.raises(ValueError, match="covers no requirement"):
        Check("t.none", (), "nothing")
