"""The Markdown specification and the requirement registry agree, and the
conventions of spec/README.md hold (checked by the parser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import registry
from cloudstate_protocol.requirements import (
    BINDS,
    CAPABILITIES,
    SpecFormatError,
    load_registry,
    parse_file,
    parse_specification,
    slugify,
    spec_files,
)

SPEC = Path(__file__).resolve().parent.parent
ID_REFERENCE = re.compile(r"\b[A-Z]+(?:-[A-Z]+)*-\d{3}\b")


def test_registry_matches_the_markdown() -> None:
    assert (SPEC / "requirements.yaml").read_text(encoding="utf-8") == registry.render(), (
        "spec/requirements.yaml and the Markdown disagree; run `nox -s requirements`"
    )


def test_every_markdown_id_is_in_the_registry_and_back() -> None:
    in_markdown = {r.id for r in parse_specification(SPEC)}
    in_registry = {r.id for r in load_registry(SPEC / "requirements.yaml")}
    assert in_markdown == in_registry


def test_registry_values_are_from_the_closed_sets() -> None:
    requirements = load_registry(SPEC / "requirements.yaml")
    assert requirements, "the registry is empty"
    for requirement in requirements:
        assert requirement.binds in BINDS
        assert requirement.capability in CAPABILITIES
    assert {r.capability for r in requirements} == set(CAPABILITIES)


def test_each_prefix_lives_in_one_file() -> None:
    files: dict[str, set[str]] = {}
    for requirement in parse_specification(SPEC):
        files.setdefault(requirement.prefix, set()).add(requirement.section.partition("#")[0])
    assert {prefix: found for prefix, found in files.items() if len(found) > 1} == {}


def test_references_to_requirement_ids_resolve() -> None:
    known = {r.id for r in load_registry(SPEC / "requirements.yaml")}
    sources = [*spec_files(SPEC), SPEC / "README.md", *SPEC.glob("proto/cloudstate/**/*.proto")]
    dangling = {
        f"{path.name}: {reference}"
        for path in sources
        for reference in ID_REFERENCE.findall(path.read_text(encoding="utf-8"))
        if reference not in known
    }
    assert dangling == set()


def test_the_index_lists_every_spec_file() -> None:
    index = (SPEC / "README.md").read_text(encoding="utf-8")
    missing = [path.name for path in spec_files(SPEC) if f"({path.name})" not in index]
    assert missing == []


def _problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "99-sample.md"
    path.write_text("<!-- capability: core -->\n# Sample\n\n## Rules\n\n" + body, encoding="utf-8")
    return parse_file(path)[1]


def test_parser_accepts_a_well_formed_requirement(tmp_path: Path) -> None:
    path = tmp_path / "99-sample.md"
    path.write_text(
        "<!-- capability: crdt -->\n# Sample\n\n## Take turns\n\n"
        "- **SAMPLE-001** (proxy; http): The proxy MUST NOT send\n  a delta while a command is outstanding.\n",
        encoding="utf-8",
    )
    [requirement], problems = parse_file(path)
    assert problems == []
    assert requirement.level == "MUST NOT"
    assert requirement.capability == "http"
    assert requirement.binds == "proxy"
    assert requirement.section == "99-sample.md#take-turns"
    assert requirement.statement == "The proxy MUST NOT send a delta while a command is outstanding."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- **SAMPLE-001** (proxy): The proxy sends it.\n", "needs exactly one of"),
        ("- **SAMPLE-001** (proxy): The proxy MUST send it and MAY log it.\n", "needs exactly one of"),
        ("- **SAMPLE-001** (proxy): The proxy SHALL send it.\n", "needs exactly one of"),
        ("The proxy MUST send it.\n", "outside a requirement item"),
        ("- **SAMPLE-1** (proxy): The proxy MUST send it.\n", "does not match the format"),
        ("- **SAMPLE-001** (server): The proxy MUST send it.\n", "does not match the format"),
        ("- **SAMPLE-001** (proxy; storage): The proxy MUST send it.\n", "unknown capability"),
    ],
)
def test_parser_reports_broken_conventions(tmp_path: Path, body: str, expected: str) -> None:
    problems = _problems(tmp_path, body)
    assert any(expected in problem for problem in problems), problems


def test_keywords_in_code_are_not_normative(tmp_path: Path) -> None:
    assert _problems(tmp_path, "The word `MUST` is defined in RFC 2119.\n\n```\nMUST\n```\n") == []


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    for name in ["01-a.md", "02-b.md"]:
        (tmp_path / name).write_text(
            "<!-- capability: core -->\n# T\n\n- **DUP-001** (both): Both sides MUST agree.\n", encoding="utf-8"
        )
    with pytest.raises(SpecFormatError, match="DUP-001 is defined twice"):
        parse_specification(tmp_path)


MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    headings = {slugify(m) for m in re.findall(r"^#{1,6} (.+?)\s*$", text, re.MULTILINE)}
    return headings | set(re.findall(r"^- \*\*([A-Z]+(?:-[A-Z]+)*-\d{3})\*\*", text, re.MULTILINE))


def test_links_between_spec_documents_resolve() -> None:
    broken = []
    for source in [SPEC / "README.md", *spec_files(SPEC)]:
        for match in MARKDOWN_LINK.finditer(source.read_text(encoding="utf-8")):
            target = match["target"]
            if "://" in target or target.startswith("mailto:"):
                continue
            page, _, anchor = target.partition("#")
            path = (source.parent / page) if page else source
            if not path.exists():
                broken.append(f"{source.name}: {target} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{source.name}: {target} (no such anchor)")
    assert broken == []
