"""Dots, causal contexts and the write context shared by the observed-remove types.

ORSet elements and ORMap keys are tagged with *dots*: (replica, sequence)
pairs, unique across all replicas of an entity. A state's *context* records,
per replica, the highest sequence it has seen; a dot the context covers but
the state no longer holds was removed. Merging keeps a dot that both sides
hold, or that one side holds and the other has never seen: this is what makes
an add concurrent with a remove survive (add-wins).

Dots must never be reused for anything else, even after the structure that
held them was removed (an ORMap key dropped and created again). So every dot
a replica makes for an entity comes from one counter: the context of the
entity's root ORSet or ORMap, which only ever grows. :class:`Write` hands them
out while one user-function delta is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

P = TypeVar("P")

Dot = tuple[str, int]
Context = Mapping[str, int]


def covers(context: Context, dot: Dot) -> bool:
    return context.get(dot[0], 0) >= dot[1]


def join_contexts(a: Context, b: Context) -> dict[str, int]:
    return {r: max(a.get(r, 0), b.get(r, 0)) for r in a.keys() | b.keys()}


def with_dot(context: Context, dot: Dot) -> dict[str, int]:
    """The context after seeing ``dot``."""
    return {**context, dot[0]: max(context.get(dot[0], 0), dot[1])}


def merge_tags(a: frozenset[Dot], a_context: Context, b: frozenset[Dot], b_context: Context) -> frozenset[Dot]:
    """The surviving dots of one element: held by both, or held by one and unseen by the other."""
    return (a & b) | {d for d in a - b if not covers(b_context, d)} | {d for d in b - a if not covers(a_context, d)}


def merge_dots(
    a: Mapping[Dot, P], a_context: Context, b: Mapping[Dot, P], b_context: Context, both: Callable[[P, P], P]
) -> dict[Dot, P]:
    """:func:`merge_tags` for dots that carry a payload; ``both`` combines a payload held on both sides.

    A dot's payload is written once, so ``both`` only ever sees equal payloads;
    combining them anyway keeps the merge commutative whatever the input.
    """
    kept = {d: both(p, b[d]) if d in b else p for d, p in a.items() if d in b or not covers(b_context, d)}
    kept.update({d: p for d, p in b.items() if d not in a and not covers(a_context, d)})
    return kept


class Write:
    """One replica applying one delta from its user function: who writes, when, and fresh dots.

    ``now_ms`` is the wall clock (milliseconds since the epoch) that the DEFAULT
    and REVERSE register clocks use; the caller reads it, so the logic stays pure.
    ``last_dot`` is the highest sequence the replica has used for the entity.
    """

    def __init__(self, replica: str, now_ms: int, last_dot: int = 0) -> None:
        self.replica = replica
        self.now_ms = now_ms
        self.last_dot = last_dot

    def dot(self) -> Dot:
        self.last_dot += 1
        return (self.replica, self.last_dot)
