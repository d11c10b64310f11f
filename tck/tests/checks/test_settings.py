"""The settings profiles of the TCK."""

from __future__ import annotations

import pytest

from tck import settings


def test_profiles_have_no_deadline_and_deep_explores_more() -> None:
    quick, deep = settings.profile("quick"), settings.profile("deep")
    assert quick.deadline is None
    assert deep.deadline is None
    assert deep.max_examples > quick.max_examples
    assert deep.stateful_step_count > quick.stateful_step_count


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: quick, deep"):
        settings.profile("fast")
