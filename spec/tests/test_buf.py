"""buf lint (with comment rules), buf format and buf breaking against the 0.2 baseline."""

from __future__ import annotations

import buf


def test_buf_lint_passes() -> None:
    assert buf.lint() == 0


def test_protos_are_buf_formatted() -> None:
    assert buf.format_check() == 0


def test_no_breaking_change_against_the_0_2_baseline() -> None:
    assert buf.breaking() == 0
