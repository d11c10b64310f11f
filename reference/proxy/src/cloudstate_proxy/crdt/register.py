"""LWWRegister: one value with the clock and the replica of the write that set it.

Of two states the higher clock wins, then the replica id that sorts higher in
byte order (CRDT-LWW-005). Two writes can tie on both (a replica writing twice
with the same CUSTOM clock); the value bytes then decide, so that the merge
still gives the same result in every order.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.causal import Write
from cloudstate_proxy.crdt.elements import Element, element_of
from cloudstate_proxy.crdt.errors import InvalidDelta


@dataclasses.dataclass(frozen=True)
class LWWRegister:
    KIND: ClassVar[str] = "lwwregister"
    value: Element
    clock: int
    replica: str


def _rank(register: LWWRegister) -> tuple[int, bytes, Element]:
    return (register.clock, register.replica.encode(), register.value)


def merge_register(a: LWWRegister, b: LWWRegister) -> LWWRegister:
    return a if _rank(a) >= _rank(b) else b


def write_clock(clock: int, custom: int, current: int | None, now_ms: int) -> int:
    """The clock of a user function's write (the table of 12-crdt.md; ``current`` is None for a new register)."""
    if clock == crdt_pb2.DEFAULT:
        return now_ms if current is None else max(now_ms, current + 1)
    if clock == crdt_pb2.REVERSE:
        return -now_ms if current is None else min(-now_ms, current - 1)
    if clock == crdt_pb2.CUSTOM:
        return custom
    if clock == crdt_pb2.CUSTOM_AUTO_INCREMENT:
        return custom if current is None or custom > current else current + 1
    raise InvalidDelta(f"LWWRegister delta with an unknown clock {clock}")


def apply_register(state: LWWRegister | None, delta: crdt_pb2.LWWRegisterDelta, write: Write) -> LWWRegister:
    """The user function's write wins locally whatever the previous clock (CRDT-LWW-004, CRDT-LWW-009)."""
    if not delta.HasField("value"):
        raise InvalidDelta("LWWRegister delta without a value")
    current = state.clock if state else None
    clock = write_clock(delta.clock, delta.custom_clock_value, current, write.now_ms)
    return LWWRegister(element_of(delta.value), clock, write.replica)
