"""The requirement registry and the Markdown it is derived from.

Every normative statement of the specification is a list item of the form::

    - **ES-012** (proxy): The proxy MUST persist ...

in one of the ``spec/NN-*.md`` files. :func:`parse_specification` reads those
files, checks the conventions of ``spec/README.md`` (one level per
requirement, no normative keyword outside a requirement, unique IDs) and
returns the requirements; ``spec/requirements.yaml`` is their committed,
machine-readable form, which the TCK reads to report per requirement.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from cloudstate_protocol._paths import requirements_path

CAPABILITIES = ("core", "event-sourced", "value-entity", "crdt", "action", "eventing", "http")
BINDS = ("proxy", "user-function", "both")
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")

_ITEM = re.compile(
    r"^- \*\*(?P<id>[A-Z]+(?:-[A-Z]+)*-\d{3})\*\* "
    r"\((?P<binds>proxy|user function|both)(?:; (?P<capability>[a-z-]+))?\): (?P<text>.*)$"
)
_LOOSE_ID = re.compile(r"^[-*] \*\*[A-Z]+(?:-[A-Z0-9]+)*-\d+\*\*")
_CAPABILITY_HEADER = re.compile(r"^<!-- capability: (?P<capability>[a-z-]+) -->$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6}) (?P<title>.+?)\s*$")
_KEYWORD = re.compile(
    r"\b(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY|SHALL NOT|SHALL|REQUIRED|RECOMMENDED|NOT RECOMMENDED|OPTIONAL)\b"
)
_CODE_SPAN = re.compile(r"`[^`]*`")


class SpecFormatError(ValueError):
    """The Markdown breaks the requirement conventions; the message lists every problem."""


@dataclasses.dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    binds: str
    capability: str
    section: str
    heading: str
    statement: str

    @property
    def prefix(self) -> str:
        return self.id.rsplit("-", 1)[0]


def slugify(title: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = _CODE_SPAN.sub(lambda m: m.group(0).strip("`"), title).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _keywords(text: str) -> list[str]:
    return _KEYWORD.findall(_CODE_SPAN.sub("", text))


def _flatten(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines).strip()


def parse_file(path: Path) -> tuple[list[Requirement], list[str]]:
    """Parse one spec file; return its requirements and the problems found."""
    problems: list[str] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = _CAPABILITY_HEADER.match(lines[0]) if lines else None
    if not header:
        problems.append(f"{path.name}:1: first line must be '<!-- capability: NAME -->'")
        default_capability = "core"
    else:
        default_capability = header["capability"]
    requirements: list[Requirement] = []
    heading = ""
    in_fence = False
    current: dict[str, Any] | None = None

    def finish() -> None:
        nonlocal current
        if current is None:
            return
        statement = _flatten(current["lines"])
        found = set(_keywords(statement))
        where = f"{path.name}:{current['line']}: {current['id']}"
        if len(found) != 1 or not found <= set(LEVELS):
            problems.append(f"{where}: needs exactly one of {', '.join(LEVELS)}; found {sorted(found) or 'none'}")
        capability = current["capability"] or default_capability
        if capability not in CAPABILITIES:
            problems.append(f"{where}: unknown capability {capability!r}")
        requirements.append(
            Requirement(
                id=current["id"],
                level=next(iter(found)) if len(found) == 1 else "?",
                binds=current["binds"].replace(" ", "-"),
                capability=capability,
                section=f"{path.name}#{slugify(heading)}" if heading else path.name,
                heading=heading,
                statement=statement,
            )
        )
        current = None

    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            finish()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        item = _ITEM.match(line)
        if item:
            finish()
            current = {**item.groupdict(), "line": number, "lines": [item["text"]]}
            continue
        if current is not None and line.startswith("  ") and line.strip():
            current["lines"].append(line)
            continue
        finish()
        if _LOOSE_ID.match(line):
            problems.append(
                f"{path.name}:{number}: looks like a requirement but does not match the format: {line[:60]}"
            )
        heading_match = _HEADING.match(line)
        if heading_match and len(heading_match["hashes"]) > 1:
            heading = heading_match["title"]
        stray = _keywords(line)
        if stray:
            problems.append(f"{path.name}:{number}: normative keyword {stray[0]} outside a requirement item")
    finish()
    return requirements, problems


def spec_files(spec_dir: Path) -> list[Path]:
    """The numbered specification documents, in reading order."""
    return sorted(spec_dir.glob("[0-9][0-9]-*.md"))


def parse_specification(spec_dir: Path) -> list[Requirement]:
    """Parse every spec file; raise :class:`SpecFormatError` listing all problems."""
    requirements: list[Requirement] = []
    problems: list[str] = []
    for path in spec_files(spec_dir):
        found, file_problems = parse_file(path)
        requirements.extend(found)
        problems.extend(file_problems)
    seen: dict[str, str] = {}
    for requirement in requirements:
        if requirement.id in seen:
            problems.append(f"{requirement.id} is defined twice ({seen[requirement.id]} and {requirement.section})")
        seen[requirement.id] = requirement.section
    if problems:
        raise SpecFormatError("\n".join(problems))
    return requirements


def dump_registry(requirements: Iterable[Requirement], spec_version: str) -> str:
    """Render the registry file (YAML) from parsed requirements."""
    body = {
        "spec_version": spec_version,
        "requirements": [dataclasses.asdict(r) for r in requirements],
    }
    header = (
        "# The requirement registry of the Cloudstate protocol specification.\n"
        "# Generated from spec/NN-*.md by `nox -s requirements`; edit the Markdown, not this file.\n"
        "# A test fails when this file and the Markdown disagree.\n"
    )
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100000)


def load_registry(path: Path | None = None) -> list[Requirement]:
    """Read the committed registry (the packaged copy when installed from a wheel)."""
    data = yaml.safe_load((path or requirements_path()).read_text(encoding="utf-8"))
    return [Requirement(**entry) for entry in data["requirements"]]
