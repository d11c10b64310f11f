"""Path templates of ``google.api.http`` rules: parsing and matching (spec/13-http.md, HTTP-009 to HTTP-012).

    template  = "/" segments [ ":" literal ] ;
    segments  = segment { "/" segment } ;
    segment   = "*" | "**" | literal | variable ;
    variable  = "{" fieldpath [ "=" segments ] "}" ;
    fieldpath = ident { "." ident } ;

A parsed template is a flat sequence of *atoms* (a literal, ``*`` or ``**``),
each remembering the variable it belongs to, if any. Since ``**`` may only be
the last atom, atom ``i`` always matches path segment ``i`` and a trailing
``**`` takes whatever segments remain; matching is a single pass.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal
from urllib.parse import unquote

_LITERAL = re.compile(r"[^/{}*:=]+")
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_SLASH_ESCAPE = re.compile(r"%2[fF]")

AtomKind = Literal["literal", "*", "**"]
# Specificity of an atom (HTTP-015): a literal beats a single-segment wildcard, which beats "**".
_RANK: dict[AtomKind, int] = {"literal": 3, "*": 2, "**": 0}
_END_RANK = 1  # a template that has ended beats one that continues with "**" (matching nothing)


class TemplateSyntaxError(ValueError):
    """A path template that does not follow the grammar."""


@dataclasses.dataclass(frozen=True)
class Atom:
    kind: AtomKind
    text: str = ""  # the percent-decoded literal, for kind "literal"


@dataclasses.dataclass(frozen=True)
class Variable:
    field_path: str
    start: int  # the variable's atoms are atoms[start:end]
    end: int
    multi_segment: bool  # its pattern can match several segments (HTTP-012)


@dataclasses.dataclass(frozen=True)
class PathTemplate:
    source: str
    atoms: tuple[Atom, ...]
    variables: tuple[Variable, ...]
    verb: str | None

    def shape(self) -> tuple[tuple[tuple[str, str], ...], str | None]:
        """Equal for two templates exactly when they match the same paths (HTTP-064)."""
        return tuple((a.kind, a.text) for a in self.atoms), self.verb

    def specificity(self) -> tuple[tuple[int, ...], bool]:
        """Greater for the template that should win when several match one path (HTTP-015)."""
        return (*(_RANK[a.kind] for a in self.atoms), _END_RANK), self.verb is not None

    def match_raw(self, path: str) -> dict[str, str] | None:
        """The still percent-encoded text each variable captures from ``path``, or None when it does not match."""
        if not path.startswith("/"):
            return None
        rest = path[1:]
        if self.verb is not None:
            suffix = ":" + self.verb
            if not rest.endswith(suffix):
                return None
            rest = rest[: -len(suffix)]
        segments = rest.split("/")
        if "" in segments:  # empty segments ("//", a trailing "/") match nothing
            return None
        tail = bool(self.atoms) and self.atoms[-1].kind == "**"
        fixed = len(self.atoms) - tail
        if len(segments) < fixed or (not tail and len(segments) != fixed):
            return None
        for atom, segment in zip(self.atoms[:fixed], segments, strict=False):
            if atom.kind == "literal" and unquote(segment) != atom.text:
                return None
        captured: dict[str, str] = {}
        for variable in self.variables:
            end = len(segments) if variable.end > fixed else variable.end
            captured[variable.field_path] = "/".join(segments[variable.start : end])
        return captured

    def match(self, path: str) -> dict[str, str] | None:
        """The decoded value of each variable, or None; raises UnicodeDecodeError on escapes that are not UTF-8."""
        raw = self.match_raw(path)
        if raw is None:
            return None
        multi = {v.field_path for v in self.variables if v.multi_segment}
        return {name: decode_value(text, keep_slashes=name in multi) for name, text in raw.items()}


def decode_value(text: str, *, keep_slashes: bool) -> str:
    """Percent-decode a captured value; a multi-segment value keeps ``%2F`` as it is (HTTP-011, HTTP-012)."""
    if not keep_slashes:
        return unquote(text, errors="strict")
    pieces = _SLASH_ESCAPE.split(text)
    escapes = _SLASH_ESCAPE.findall(text)
    out = [unquote(pieces[0], errors="strict")]
    for escape, piece in zip(escapes, pieces[1:], strict=True):
        out += [escape, unquote(piece, errors="strict")]
    return "".join(out)


def parse_template(source: str) -> PathTemplate:
    """Parse a path template; raises TemplateSyntaxError naming the problem and its position."""
    return _Parser(source).parse()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.atoms: list[Atom] = []
        self.variables: list[Variable] = []

    def fail(self, problem: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(f"{problem} at position {self.pos} of template {self.source!r}")

    def peek(self, text: str) -> bool:
        return self.source.startswith(text, self.pos)

    def expect(self, text: str) -> None:
        if not self.peek(text):
            raise self.fail(f"expected {text!r}")
        self.pos += len(text)

    def literal(self) -> str:
        found = _LITERAL.match(self.source, self.pos)
        if found is None:
            raise self.fail("expected a literal, '*', '**' or a variable")
        self.pos = found.end()
        return found.group()

    def parse(self) -> PathTemplate:
        self.expect("/")
        self.segments(inside_variable=False)
        verb = None
        if self.peek(":"):
            self.pos += 1
            verb = self.literal()
        if self.pos != len(self.source):
            raise self.fail(f"unexpected {self.source[self.pos]!r}")
        if any(atom.kind == "**" for atom in self.atoms[:-1]):
            raise TemplateSyntaxError(f"'**' must be the last segment of template {self.source!r}")
        names = [v.field_path for v in self.variables]
        if len(set(names)) != len(names):
            raise TemplateSyntaxError(f"template {self.source!r} binds the same field more than once")
        return PathTemplate(self.source, tuple(self.atoms), tuple(self.variables), verb)

    def segments(self, *, inside_variable: bool) -> None:
        self.segment(inside_variable=inside_variable)
        while self.peek("/"):
            self.pos += 1
            self.segment(inside_variable=inside_variable)

    def segment(self, *, inside_variable: bool) -> None:
        if self.peek("**"):
            self.pos += 2
            self.atoms.append(Atom("**"))
        elif self.peek("*"):
            self.pos += 1
            self.atoms.append(Atom("*"))
        elif self.peek("{"):
            if inside_variable:
                raise self.fail("a variable cannot contain another variable")
            self.variable()
        else:
            self.atoms.append(Atom("literal", unquote(self.literal())))

    def variable(self) -> None:
        self.expect("{")
        found = _FIELD_PATH.match(self.source, self.pos)
        if found is None:
            raise self.fail("expected a field path")
        self.pos = found.end()
        start = len(self.atoms)
        if self.peek("="):
            self.pos += 1
            self.segments(inside_variable=True)
        else:
            self.atoms.append(Atom("*"))
        self.expect("}")
        own = self.atoms[start:]
        multi = len(own) > 1 or own[0].kind == "**"
        self.variables.append(Variable(found.group(), start, len(self.atoms), multi))
