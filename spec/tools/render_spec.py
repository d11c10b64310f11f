"""Render the normative Markdown into static HTML pages.

Every heading gets a GitHub-style anchor and every requirement list item gets
its ID as anchor (``09-event-sourced.html#ES-012``), so reports and issues can
link to the exact statement a test checks.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from cloudstate_protocol.requirements import Requirement, slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

_REQUIREMENT_ITEM = re.compile(r"<li>\s*(?:<p>)?<strong>(?P<id>[A-Z]+(?:-[A-Z]+)*-\d{3})</strong>")
_MD_LINK = re.compile(r'href="(?P<page>[0-9A-Za-z_-]+)\.md(?P<anchor>#[^"]*)?"')

STYLE = """
body { font: 16px/1.55 system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; color: #1f2328; }
nav { border-bottom: 1px solid #d0d7de; padding-bottom: .5rem; margin-bottom: 1rem; }
nav a { margin-right: 1rem; }
code { background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .3rem .6rem; vertical-align: top; }
li[id] { scroll-margin-top: 1rem; } li[id]:target { background: #fff8c5; }
a.req { font-family: ui-monospace, monospace; text-decoration: none; }
blockquote { border-left: 4px solid #0969da; margin-left: 0; padding-left: 1rem; color: #3b4149; }
.muted { color: #59636e; }
"""


def page(title: str, body: str, nav: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><nav>{nav}</nav>\n<main>\n{body}\n</main></body></html>\n"
    )


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")

    def heading_anchors(state: object) -> None:
        tokens: list[Token] = state.tokens  # type: ignore[attr-defined]
        for index, token in enumerate(tokens):
            if token.type == "heading_open":
                token.attrSet("id", slugify(tokens[index + 1].content))

    md.core.ruler.push("heading_anchors", heading_anchors)
    return md


def render_markdown(text: str) -> str:
    """Markdown to HTML with heading and requirement anchors, ``.md`` links made ``.html``."""
    rendered = _markdown().render(text)
    rendered = _REQUIREMENT_ITEM.sub(
        lambda m: (
            m.group(0)
            .replace("<li>", f'<li id="{m["id"]}">', 1)
            .replace(f"<strong>{m['id']}</strong>", f'<a class="req" href="#{m["id"]}"><strong>{m["id"]}</strong></a>')
        ),
        rendered,
    )
    return _MD_LINK.sub(
        lambda m: f'href="{"index" if m["page"] == "README" else m["page"]}.html{m["anchor"] or ""}"', rendered
    )


def requirements_table(requirements: list[Requirement]) -> str:
    rows = []
    for r in requirements:
        page_name, _, _ = r.section.partition("#")
        href = f"{page_name.removesuffix('.md')}.html#{r.id}"
        rows.append(
            f'<tr><td><a class="req" href="{href}">{r.id}</a></td><td>{r.level}</td><td>{r.binds}</td>'
            f"<td>{r.capability}</td><td>{html.escape(r.statement)}</td></tr>"
        )
    return (
        f'<h1>Requirements</h1><p class="muted">{len(requirements)} requirements, generated from the registry.</p>'
        "<table><thead><tr><th>ID</th><th>Level</th><th>Binds</th><th>Capability</th><th>Statement</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_site(spec_dir: Path, out: Path, requirements: list[Requirement], protocol_reference: str) -> list[Path]:
    """Write index.html, one page per spec file, requirements.html and protocol.html."""
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(spec_dir.glob("[0-9][0-9]-*.md"))
    nav = " ".join(
        [
            '<a href="index.html">Index</a>',
            '<a href="requirements.html">Requirements</a>',
            '<a href="protocol.html">Protocol reference</a>',
        ]
    )
    written = []
    pages = [("index", spec_dir / "README.md"), *((p.stem, p) for p in sources)]
    for name, source in pages:
        text = source.read_text(encoding="utf-8")
        title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), name)
        target = out / f"{name}.html"
        target.write_text(page(title, render_markdown(text), nav), encoding="utf-8")
        written.append(target)
    for name, title, body in [
        ("requirements", "Requirements", requirements_table(requirements)),
        ("protocol", "Protocol reference", protocol_reference),
    ]:
        target = out / f"{name}.html"
        target.write_text(page(title, body, nav), encoding="utf-8")
        written.append(target)
    return written
