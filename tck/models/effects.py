"""Client outcomes, forwards and side effects shared by every model, and their ordering rules.

Every TCK model service forwards to, and makes side effects on, a second service
of the same model with a payload that only carries an id; so a call is fully
described by the target service, the method and that id.

Ordering (spec 05 and the lead's decisions): state changes are persisted first,
then the synchronous side effects run one at a time in order, then the reply or
forward is released to the client, then the asynchronous side effects start.
:func:`plan` turns a model outcome into that schedule and :func:`trace_problems`
checks a proxy's observed trace against it (for the proxy-direction machines).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Call:
    """A call the user function asks for: service, method and the payload's id."""

    service: str
    method: str
    id: str


@dataclasses.dataclass(frozen=True)
class SideEffect:
    call: Call
    synchronous: bool


@dataclasses.dataclass(frozen=True)
class Replied:
    """The client gets a reply whose payload the model describes (a state or a message)."""

    message: str


@dataclasses.dataclass(frozen=True)
class Forwarded:
    """The client gets the answer of another call."""

    call: Call


@dataclasses.dataclass(frozen=True)
class Failed:
    """The client gets a failure with this description.

    ``restart`` holds the values of ``Failure.restart`` a conforming user
    function may send: entities may ask for a restart instead of rolling back.
    """

    message: str
    restart: frozenset[bool] = frozenset({False})


@dataclasses.dataclass(frozen=True)
class NoReply:
    """An action response without an outcome for the client."""


ClientOutcome = Replied | Forwarded | Failed | NoReply

# Entity failures: rolling back and restarting are both acceptable.
ENTITY_FAILURE_RESTART = frozenset({False, True})


@dataclasses.dataclass(frozen=True)
class Release:
    """Marker in a trace: the outcome reached the client."""


@dataclasses.dataclass(frozen=True)
class EffectPlan:
    """What a proxy does after persisting: synchronous effects, release, asynchronous effects."""

    before_release: tuple[Call, ...]
    after_release: tuple[Call, ...]


def plan(effects: Sequence[SideEffect]) -> EffectPlan:
    return EffectPlan(
        before_release=tuple(e.call for e in effects if e.synchronous),
        after_release=tuple(e.call for e in effects if not e.synchronous),
    )


def trace_problems(trace: Sequence[Call | Release], expected: EffectPlan) -> list[str]:
    """Compare the calls a proxy made and the moment it released the outcome with the plan.

    Synchronous effects must all come before the release, in order; asynchronous
    ones after it, each exactly once (in any order: they are fire and forget).
    An empty list means the trace conforms.
    """
    releases = [i for i, item in enumerate(trace) if isinstance(item, Release)]
    if len(releases) != 1:
        return [f"the outcome was released {len(releases)} times, expected once"]
    before = tuple(trace[: releases[0]])
    after = list(trace[releases[0] + 1 :])
    problems: list[str] = []
    if before != expected.before_release:
        problems.append(f"before release: expected {list(expected.before_release)}, got {list(before)}")
    if sorted(map(repr, after)) != sorted(map(repr, expected.after_release)):
        problems.append(f"after release: expected {list(expected.after_release)} in any order, got {after}")
    return problems
