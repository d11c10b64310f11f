"""Text helpers shared by the report writers."""

from __future__ import annotations

import re

from tck.results import RequirementResult

# Characters XML 1.0 forbids (and HTML renders badly): C0 controls except tab, newline, carriage return.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: The capabilities in the order the specification presents them.
CAPABILITY_ORDER = ("core", "event-sourced", "value-entity", "action", "crdt", "eventing", "http")


def clean(text: str) -> str:
    """``text`` with the characters XML cannot carry shown as ``\\xNN`` escapes."""
    return _FORBIDDEN.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def explanation(result: RequirementResult) -> str:
    """One line saying why a requirement has its status (empty for a plain pass)."""
    if result.status == "excluded":
        return f"excluded: {result.reason} (observed: {result.observed})"
    if result.status == "not-applicable":
        return f"not applicable: {result.reason}"
    if result.status == "untested":
        return "untested: no check of this TCK exercised it"
    if result.failure is not None:
        return first_line(result.failure.message)
    return ""


def by_capability(results: list[RequirementResult]) -> dict[str, list[RequirementResult]]:
    grouped: dict[str, list[RequirementResult]] = {c: [] for c in CAPABILITY_ORDER}
    for result in results:
        grouped.setdefault(result.requirement.capability, []).append(result)
    return {c: rs for c, rs in grouped.items() if rs}


__all__ = ["CAPABILITY_ORDER", "by_capability", "clean", "explanation", "first_line"]
