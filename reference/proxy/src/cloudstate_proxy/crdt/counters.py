"""GCounter and PNCounter: one count per replica, merged by taking the larger.

A replica only ever raises its own count, so the larger of two counts for a
replica is the later one, and the sum over replicas never loses an increment
(CRDT-GCOUNTER-003, CRDT-GCOUNTER-004, CRDT-PNCOUNTER-003, CRDT-PNCOUNTER-004).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.causal import Write


@dataclasses.dataclass(frozen=True)
class GCounter:
    """Replica id -> how much that replica has added."""

    KIND: ClassVar[str] = "gcounter"
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, replica: str, amount: int) -> GCounter:
        if amount == 0:
            return self
        return GCounter({**self.counts, replica: self.counts.get(replica, 0) + amount})


@dataclasses.dataclass(frozen=True)
class PNCounter:
    """Increments and decrements as two grow-only counters; the value is their difference."""

    KIND: ClassVar[str] = "pncounter"
    up: GCounter = dataclasses.field(default_factory=GCounter)
    down: GCounter = dataclasses.field(default_factory=GCounter)

    @property
    def total(self) -> int:
        return self.up.total - self.down.total


def merge_gcounter(a: GCounter, b: GCounter) -> GCounter:
    return GCounter({r: max(a.counts.get(r, 0), b.counts.get(r, 0)) for r in a.counts.keys() | b.counts.keys()})


def merge_pncounter(a: PNCounter, b: PNCounter) -> PNCounter:
    return PNCounter(merge_gcounter(a.up, b.up), merge_gcounter(a.down, b.down))


def apply_gcounter(state: GCounter | None, delta: crdt_pb2.GCounterDelta, write: Write) -> GCounter:
    return (state or GCounter()).add(write.replica, delta.increment)


def apply_pncounter(state: PNCounter | None, delta: crdt_pb2.PNCounterDelta, write: Write) -> PNCounter:
    state = state or PNCounter()
    if delta.change >= 0:
        return PNCounter(state.up.add(write.replica, delta.change), state.down)
    return PNCounter(state.up, state.down.add(write.replica, -delta.change))
