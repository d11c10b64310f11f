"""The one error the image tooling raises: something needed for a build is missing or failed."""

from __future__ import annotations


class BuildError(RuntimeError):
    """An image could not be built; the message says which step failed and why."""
