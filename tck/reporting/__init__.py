"""Report writers: JSON (the complete record, with a published schema), JUnit XML, Markdown and HTML.

Every writer takes a :class:`~tck.outcome.RunReport` and a folder and writes
``tck-<name>.<ext>`` there; :func:`write_all` writes all four.
"""

from __future__ import annotations

from pathlib import Path

from tck.outcome import RunReport
from tck.reporting import html, json_report, junit, markdown


def write_all(report: RunReport, directory: Path) -> list[Path]:
    """Write every report format into ``directory`` (created if needed); return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    return [writer.write(report, directory) for writer in (json_report, junit, markdown, html)]


__all__ = ["write_all"]
