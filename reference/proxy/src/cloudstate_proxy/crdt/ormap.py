"""ORMap: an add-wins observed-remove map whose values are CRDTs of any type.

Each key holds dots like an ORSet element, but every dot also carries the
value written with it; a key's value is the merge of the values of its live
dots. A value is never changed in place: a replica that changes an entry
writes the merged value with its change under a fresh dot, replacing the dots
it has seen. Two results follow. A change to an entry concurrent with the
removal of its key keeps the key (add-wins, CRDT-ORMAP-010), and a key that was
removed and created again starts from its new value instead of inheriting the
old one. Merging is the observed-remove merge of dots; a dot held on both
sides has one value, written once.

The functions that handle nested values of any type are passed in by
:mod:`cloudstate_proxy.crdt.replicated`, which dispatches on the type.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.causal import Context, Dot, Write, join_contexts, merge_dots, with_dot
from cloudstate_proxy.crdt.elements import Element, element_of

if TYPE_CHECKING:
    from cloudstate_proxy.crdt.replicated import Crdt

MergeNested = Callable[["Crdt", "Crdt"], "Crdt"]
ApplyNested = Callable[["Crdt | None", crdt_pb2.CrdtDelta, Write], "Crdt"]


@dataclasses.dataclass(frozen=True)
class ORMap:
    """Key -> {dot: value written with that dot} (never empty), and the context of all dots seen."""

    KIND: ClassVar[str] = "ormap"
    entries: Mapping[Element, Mapping[Dot, Crdt]] = dataclasses.field(default_factory=dict)
    context: Context = dataclasses.field(default_factory=dict)


def value_of_key(written: Mapping[Dot, Crdt], merge: MergeNested) -> Crdt:
    """The value of a key: the merge of the values of its live dots."""
    return functools.reduce(merge, (written[d] for d in sorted(written)))


def values(state: ORMap, merge: MergeNested) -> dict[Element, Crdt]:
    return {key: value_of_key(written, merge) for key, written in state.entries.items()}


def merge_ormap(a: ORMap, b: ORMap, merge: MergeNested) -> ORMap:
    entries = {}
    for key in a.entries.keys() | b.entries.keys():
        none: Mapping[Dot, Crdt] = {}
        written = merge_dots(a.entries.get(key, none), a.context, b.entries.get(key, none), b.context, merge)
        if written:
            entries[key] = written
    return ORMap(entries, join_contexts(a.context, b.context))


def apply_ormap(
    state: ORMap | None, delta: crdt_pb2.ORMapDelta, write: Write, merge: MergeNested, apply: ApplyNested
) -> ORMap:
    """Clear, remove, update, add, in that order (CRDT-ORMAP-007, CRDT-ORMAP-008, CRDT-ORMAP-009).

    An update must match the type of the key's value (an update to an absent key
    creates it); an added entry is merged into a value of its own type and
    replaces a value of another type. A nested delta of no type, or of the
    wrong type for an update, raises InvalidDelta from ``apply``.
    """
    state = state or ORMap()
    entries = {} if delta.cleared else dict(state.entries)
    for key in delta.removed:
        entries.pop(element_of(key), None)
    context = state.context

    def write_entry(entry: crdt_pb2.ORMapEntryDelta, replace_other_type: bool) -> None:
        nonlocal context
        key = element_of(entry.key)
        current = value_of_key(entries[key], merge) if key in entries else None
        if replace_other_type and current is not None and entry.delta.WhichOneof("delta") != current.KIND:
            current = None
        changed = apply(current, entry.delta, write)
        dot = write.dot()
        entries[key] = {dot: changed}
        context = with_dot(context, dot)

    for entry in delta.updated:
        write_entry(entry, replace_other_type=False)
    for entry in delta.added:
        write_entry(entry, replace_other_type=True)
    return ORMap(entries, context)
