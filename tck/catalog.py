"""Every suite of this TCK: the SDK direction's (``tck.sdk.suites``) and the proxy direction's (``tck.proxy``)."""

from __future__ import annotations

from tck.proxy.suites import proxy_suites
from tck.sdk.suites import DISCOVERY, sdk_suites
from tck.suites import Suite


def all_suites() -> list[Suite]:
    """Every suite, SDK direction first, in the order a run runs them."""
    return [*sdk_suites(), *proxy_suites()]


def suite_names() -> list[str]:
    """Names ``--only`` accepts: every suite, and discovery (which always runs in the SDK direction)."""
    return [DISCOVERY, *(suite.name for suite in all_suites())]


__all__ = ["all_suites", "suite_names"]
