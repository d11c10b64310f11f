"""The steps that every TCK model request shares: forward, side effect, fail, and an empty step.

Each model adds its own state-changing steps (emit, update, delete, reply) and
decides what these shared ones mean for its answer.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Forward:
    """Answer with a forward to the model's second service, for the entity or action ``id``."""

    id: str


@dataclasses.dataclass(frozen=True)
class Effect:
    """Add a side effect calling the model's second service for ``id``."""

    id: str
    synchronous: bool = False


@dataclasses.dataclass(frozen=True)
class Fail:
    """Fail with this description."""

    message: str


@dataclasses.dataclass(frozen=True)
class Skip:
    """A step with nothing set: ignored."""
