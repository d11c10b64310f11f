"""Hypothesis settings profiles for the TCK, registered on import.

``quick`` keeps a CI run of every machine to a few minutes; ``deep`` explores
much longer programs for release checks. Neither has a deadline: every step is
a network round trip whose duration says nothing about conformance.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "print_blob": True}

settings.register_profile("quick", max_examples=100, stateful_step_count=40, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("deep", max_examples=2000, stateful_step_count=100, **_COMMON)  # type: ignore[arg-type]

PROFILES = ("quick", "deep")


def profile(name: str) -> settings:
    """A registered profile by name; unknown names fail with the list of known ones."""
    if name not in PROFILES:
        raise ValueError(f"unknown TCK profile {name!r}; known: {', '.join(PROFILES)}")
    return settings.get_profile(name)
