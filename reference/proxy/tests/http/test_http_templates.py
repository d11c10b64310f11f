"""Path templates: parsing, matching, decoding and specificity, plus a property test against a reference
matcher built from regular expressions (spec/13-http.md, HTTP-009 to HTTP-012, HTTP-015, HTTP-055, HTTP-058)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cloudstate_proxy.http.templates import TemplateSyntaxError, decode_value, parse_template
from hypothesis import given
from hypothesis import strategies as st


def test_parse_every_form() -> None:
    template = parse_template("/v1/{name=shelves/*/books/**}:get")
    assert [(a.kind, a.text) for a in template.atoms] == [
        ("literal", "v1"),
        ("literal", "shelves"),
        ("*", ""),
        ("literal", "books"),
        ("**", ""),
    ]
    assert [(v.field_path, v.start, v.end, v.multi_segment) for v in template.variables] == [("name", 1, 5, True)]
    assert template.verb == "get"
    short = parse_template("/a/{x.y}/*/{z=lit}")
    assert [(v.field_path, v.multi_segment) for v in short.variables] == [("x.y", False), ("z", False)]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "v1/x",  # no leading slash
        "/",
        "/a//b",
        "/a/",
        "/{a",
        "/{a=}",
        "/{}",
        "/{1a}",
        "/{a.}",
        "/{a=b/{c}}",  # nested variable
        "/a:b/c",  # a verb must come last
        "/a:",
        "/a=b",
        "/a*b",
        "/**/a",  # ** not last
        "/{a=**}/b",
        "/{x}/{x}",  # one field bound twice
        "/a/***",
    ],
)
def test_syntax_errors(source: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        parse_template(source)


@pytest.mark.parametrize(
    ("text", "keep_slashes", "expected"),
    [
        ("a%2Fb%20c", False, "a/b c"),
        ("a%2Fb%2fc%20d/e", True, "a%2Fb%2fc d/e"),
        ("%252F", True, "%2F"),  # an escaped percent sign is not an escaped slash
        ("%E2%82%AC", False, "€"),
    ],
)
def test_decode_value(text: str, keep_slashes: bool, expected: str) -> None:
    assert decode_value(text, keep_slashes=keep_slashes) == expected


def test_decode_rejects_escapes_that_are_not_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_value("%C3%28", keep_slashes=False)


@pytest.mark.parametrize(
    ("source", "path", "expected"),
    [
        ("/v1/{id}", "/v1/a%2Fb", {"id": "a/b"}),
        ("/v1/{id=**}", "/v1/a%2Fb/c", {"id": "a%2Fb/c"}),
        ("/v1/{id=**}", "/v1", {"id": ""}),
        ("/v1/*:do", "/v1/x:do", {}),
        ("/v1/*:do", "/v1/x", None),
        ("/v1/*:do", "/v1/:do", None),
        ("/v1/*", "/v1/x:do", {}),
        ("/v1/x", "/v1/x/", None),
        ("/v1/%7Ex", "/v1/~x", {}),
        ("/v1/~x", "/v1/%7Ex", {}),
    ],
)
def test_match(source: str, path: str, expected: dict[str, str] | None) -> None:
    assert parse_template(source).match(path) == expected


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ("/items/special", "/items/{id}"),  # a literal beats a variable
        ("/items/{id}", "/items/**"),  # one segment beats many
        ("/items/*/x", "/items/{id=**}"),
        ("/items/*", "/items/*/**"),  # a template that ends beats "**" matching nothing
        ("/items/*:do", "/items/*"),  # a verb beats none
        ("/a/special/*", "/a/*/special"),  # the first difference decides
    ],
)
def test_specificity(better: str, worse: str) -> None:
    assert parse_template(better).specificity() > parse_template(worse).specificity()


# --- property: the segment matcher agrees with a regular-expression matcher on generated templates and paths ---

LITERALS = ("a", "b", "ab")
SEGMENTS = ("a", "b", "ab", "c", "a:b", "do", ":do", "x%20y")
VERBS = ("do", "b")


@dataclass(frozen=True)
class Part:
    kind: str  # "literal", "*", "**" or "var"
    text: str = ""  # a literal's text, a variable's field name
    sub: tuple[Part, ...] = ()  # a variable's pattern (empty: "*")


def render(part: Part) -> str:
    if part.kind == "literal":
        return part.text
    if part.kind == "var":
        return "{" + part.text + ("=" + "/".join(map(render, part.sub)) if part.sub else "") + "}"
    return part.kind


def regex(part: Part) -> str:
    """A regular expression for the part, each segment with its leading slash."""
    if part.kind == "literal":
        return "/" + re.escape(part.text)
    if part.kind == "*":
        return "/[^/]+"
    if part.kind == "**":
        return "(?:/[^/]+)*"
    sub = part.sub or (Part("*"),)
    if sub == (Part("**"),):
        return f"(?:/(?P<{part.text}>[^/]+(?:/[^/]+)*))?"
    inner = regex(sub[0])[1:] + "".join(regex(p) for p in sub[1:])
    return f"/(?P<{part.text}>{inner})"


def reference_match(parts: list[Part], verb: str | None, path: str) -> dict[str, str] | None:
    pattern = "".join(map(regex, parts)) + (":" + re.escape(verb) if verb else "")
    found = re.fullmatch(pattern, path)
    if found is None:
        return None
    return {name: value or "" for name, value in found.groupdict().items()}


single = st.sampled_from([Part("literal", t) for t in LITERALS] + [Part("*")])


@st.composite
def templates(draw: st.DrawFn) -> tuple[list[Part], str | None]:
    parts: list[Part] = []
    for index in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            parts.append(draw(single))
        else:
            parts.append(Part("var", f"f{index}", tuple(draw(st.lists(single, max_size=2)))))
    tail = draw(st.sampled_from(["", "**", "var", "var-literal"]))
    if tail == "**":
        parts.append(Part("**"))
    elif tail == "var":
        parts.append(Part("var", "tail", (Part("**"),)))
    elif tail == "var-literal":
        parts.append(Part("var", "tail", (Part("literal", "a"), Part("**"))))
    if not parts:
        parts.append(draw(single))
    return parts, draw(st.none() | st.sampled_from(VERBS))


def instantiate(draw: Callable[[st.SearchStrategy[Any]], Any], part: Part) -> list[str]:
    if part.kind == "literal":
        return [part.text]
    if part.kind == "*":
        return [draw(st.sampled_from(SEGMENTS))]
    if part.kind == "**":
        many: list[str] = draw(st.lists(st.sampled_from(SEGMENTS), max_size=3))
        return many
    return [segment for p in part.sub or (Part("*"),) for segment in instantiate(draw, p)]


@given(data=st.data())
def test_matching_agrees_with_the_reference(data: st.DataObject) -> None:
    parts, verb = data.draw(templates())
    template = parse_template("/" + "/".join(map(render, parts)) + (f":{verb}" if verb else ""))
    segments = [s for part in parts for s in instantiate(data.draw, part)]
    mutation = data.draw(st.sampled_from(["none", "replace", "drop", "add", "verb"]))
    if mutation == "replace" and segments:
        segments[data.draw(st.integers(0, len(segments) - 1))] = data.draw(st.sampled_from(SEGMENTS))
    elif mutation == "drop" and segments:
        del segments[data.draw(st.integers(0, len(segments) - 1))]
    elif mutation == "add":
        segments.insert(data.draw(st.integers(0, len(segments))), data.draw(st.sampled_from(SEGMENTS)))
    path_verb = data.draw(st.none() | st.sampled_from(VERBS)) if mutation == "verb" else verb
    path = "/" + "/".join(segments) + (f":{path_verb}" if path_verb else "")
    expected = reference_match(parts, verb, path)
    assert template.match_raw(path) == expected
    if mutation == "none" and segments:
        assert expected is not None  # the generated path is an instance of its template
