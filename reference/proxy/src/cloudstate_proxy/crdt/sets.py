"""GSet (a grow-only union) and ORSet (an add-wins observed-remove set).

An ORSet holds, per element, the dots of the adds that are still live, and a
context of every dot it has seen (see :mod:`cloudstate_proxy.crdt.causal`).
Clearing and removing drop the dots the replica holds at that moment; adding
gives the element one fresh dot (CRDT-ORSET-004). A remove therefore only
cancels the adds its replica had seen, and a concurrent add survives the merge
(CRDT-ORSET-005).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.causal import Context, Dot, Write, join_contexts, merge_tags, with_dot
from cloudstate_proxy.crdt.elements import Element, element_of


@dataclasses.dataclass(frozen=True)
class GSet:
    KIND: ClassVar[str] = "gset"
    elements: frozenset[Element] = frozenset()


@dataclasses.dataclass(frozen=True)
class ORSet:
    """Element -> its live dots (never empty), and the context of all dots seen."""

    KIND: ClassVar[str] = "orset"
    entries: Mapping[Element, frozenset[Dot]] = dataclasses.field(default_factory=dict)
    context: Context = dataclasses.field(default_factory=dict)

    @property
    def elements(self) -> frozenset[Element]:
        return frozenset(self.entries)


def merge_gset(a: GSet, b: GSet) -> GSet:
    return GSet(a.elements | b.elements)


def merge_orset(a: ORSet, b: ORSet) -> ORSet:
    entries = {}
    for element in a.entries.keys() | b.entries.keys():
        none: frozenset[Dot] = frozenset()
        dots = merge_tags(a.entries.get(element, none), a.context, b.entries.get(element, none), b.context)
        if dots:
            entries[element] = dots
    return ORSet(entries, join_contexts(a.context, b.context))


def apply_gset(state: GSet | None, delta: crdt_pb2.GSetDelta, write: Write) -> GSet:
    elements = state.elements if state else frozenset()
    return GSet(elements | {element_of(e) for e in delta.added})


def apply_orset(state: ORSet | None, delta: crdt_pb2.ORSetDelta, write: Write) -> ORSet:
    state = state or ORSet()
    entries = {} if delta.cleared else dict(state.entries)
    for element in delta.removed:
        entries.pop(element_of(element), None)
    context = state.context
    for element in delta.added:
        dot = write.dot()
        entries[element_of(element)] = frozenset({dot})
        context = with_dot(context, dot)
    return ORSet(entries, context)
