"""Exclusion lists: requirements known to fail for a target, each with the reason, reviewed by a person.

The file is YAML, a list of entries with an ``id`` and a ``reason``::

    # Known gaps of the reference SDK.
    - id: FAIL-044
      reason: stream failures for proxy violations lack the "protocol violation: " prefix

An excluded requirement is reported as "excluded" with its reason (and what
the run observed), never as passed; its failures do not fail the run. Unknown
IDs, missing reasons and duplicates are errors, so that a list cannot silently
exclude nothing or hide why.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml


class ExclusionError(ValueError):
    """The exclusion file is malformed; the message names the file and every problem."""


def parse(text: str, known: Iterable[str], source: str = "exclusions") -> dict[str, str]:
    """Requirement ID -> reason, from the YAML ``text``; ``known`` are the IDs of the registry."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ExclusionError(f"{source}: not YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, list):
        raise ExclusionError(f"{source}: expected a list of {{id, reason}} entries, got {type(data).__name__}")
    ids = set(known)
    reasons: dict[str, str] = {}
    problems: list[str] = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or set(entry) != {"id", "reason"}:
            problems.append(f"entry {number}: needs exactly the keys id and reason, got {entry!r}")
            continue
        rid, reason = str(entry["id"]), str(entry["reason"] or "").strip()
        if rid not in ids:
            problems.append(f"entry {number}: {rid} is not a requirement of the specification")
        elif rid in reasons:
            problems.append(f"entry {number}: {rid} is listed twice")
        elif not reason:
            problems.append(f"entry {number}: {rid} has no reason")
        else:
            reasons[rid] = reason
    if problems:
        raise ExclusionError(f"{source}: " + "; ".join(problems))
    return reasons


def load(path: Path, known: Iterable[str]) -> dict[str, str]:
    """Read an exclusion file; see :func:`parse`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ExclusionError(f"{path}: cannot read: {error.strerror}") from error
    return parse(text, known, str(path))


__all__ = ["ExclusionError", "load", "parse"]
