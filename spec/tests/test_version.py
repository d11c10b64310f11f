from __future__ import annotations

from cloudstate_protocol import Compatibility, check_compatibility
from hypothesis import given
from hypothesis import strategies as st


def test_the_proxy_version_is_compatible_with_itself() -> None:
    assert check_compatibility(0, 2) is Compatibility.COMPATIBLE


def test_an_unset_version_is_unreported_not_incompatible() -> None:
    assert check_compatibility(0, 0) is Compatibility.UNREPORTED


def test_other_pre_1_0_minors_are_incompatible() -> None:
    assert check_compatibility(0, 1) is Compatibility.INCOMPATIBLE
    assert check_compatibility(0, 3) is Compatibility.INCOMPATIBLE


@given(st.integers(0, 5), st.integers(0, 9), st.integers(1, 5), st.integers(0, 9))
def test_from_1_0_a_proxy_serves_older_minors_of_its_major(major: int, minor: int, p_major: int, p_minor: int) -> None:
    result = check_compatibility(major, minor, proxy_major=p_major, proxy_minor=p_minor)
    if (major, minor) == (0, 0):
        assert result is Compatibility.UNREPORTED
    elif major == p_major and minor <= p_minor:
        assert result is Compatibility.COMPATIBLE
    else:
        assert result is Compatibility.INCOMPATIBLE
