"""The CRDT types a CRDT entity can hold: counters, a flag, a register and a vote
here; the sets and the map in :mod:`cloudstate_sdk._crdt_collections`.

Handlers change a CRDT with its methods; the SDK sends the changes to the
proxy as a delta with the reply, and applies the proxy's deltas (changes from
other replicas) to the same objects.
"""

from __future__ import annotations

from typing import Any

from cloudstate import crdt_pb2

from cloudstate_sdk._crdt_base import Clock, Crdt, WriteConsistency
from cloudstate_sdk._crdt_collections import GSet, ORMap, ORSet
from cloudstate_sdk.payloads import pack, unpack

__all__ = ["CRDT_TYPES", "Clock", "Crdt", "Flag", "GCounter", "GSet", "LWWRegister", "ORMap", "ORSet", "PNCounter",
           "Vote", "WriteConsistency"]  # fmt: skip


class GCounter(Crdt):
    """A counter that only grows."""

    delta_kind = "gcounter"

    def __init__(self) -> None:
        self.value = 0
        self._pending = 0

    def increment(self, amount: int = 1) -> int:
        if amount < 0:
            raise ValueError(f"a GCounter cannot decrease (increment by {amount})")
        self.value += amount
        self._pending += amount
        return self.value

    def _has_delta(self) -> bool:
        return self._pending != 0

    def _delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=self._pending))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(gcounter=crdt_pb2.GCounterDelta(increment=self.value))

    def _reset_delta(self) -> None:
        self._pending = 0

    def _apply(self, delta: crdt_pb2.GCounterDelta) -> None:
        self.value += delta.increment

    def __repr__(self) -> str:
        return f"GCounter({self.value})"


class PNCounter(Crdt):
    """A counter that goes up and down."""

    delta_kind = "pncounter"

    def __init__(self) -> None:
        self.value = 0
        self._pending = 0

    def increment(self, amount: int = 1) -> int:
        self.value += amount
        self._pending += amount
        return self.value

    def decrement(self, amount: int = 1) -> int:
        return self.increment(-amount)

    def _has_delta(self) -> bool:
        return self._pending != 0

    def _delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=self._pending))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(pncounter=crdt_pb2.PNCounterDelta(change=self.value))

    def _reset_delta(self) -> None:
        self._pending = 0

    def _apply(self, delta: crdt_pb2.PNCounterDelta) -> None:
        self.value += delta.change

    def __repr__(self) -> str:
        return f"PNCounter({self.value})"


class Flag(Crdt):
    """A flag that can be enabled once and never disabled."""

    delta_kind = "flag"

    def __init__(self) -> None:
        self.enabled = False
        self._pending = False

    def enable(self) -> None:
        if not self.enabled:
            self.enabled = self._pending = True

    def _has_delta(self) -> bool:
        return self._pending

    def _delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=self.enabled))

    def _reset_delta(self) -> None:
        self._pending = False

    def _apply(self, delta: crdt_pb2.FlagDelta) -> None:
        self.enabled = self.enabled or delta.value

    def __repr__(self) -> str:
        return f"Flag({self.enabled})"


class LWWRegister(Crdt):
    """A register holding one value; among concurrent writes the latest wins.

    ``LWWRegister(value)`` sets the value, which is itself a change to send.
    """

    delta_kind = "lwwregister"

    def __init__(self, value: Any = None) -> None:
        self.value: Any = None
        self._pending: tuple[Clock, int] | None = None
        if value is not None:
            self.set(value)

    def set(self, value: Any, clock: Clock = Clock.DEFAULT, custom_clock_value: int = 0) -> None:
        pack(value)  # fail now when the value cannot be sent
        self.value = value
        self._pending = (Clock(clock), custom_clock_value)

    def _has_delta(self) -> bool:
        return self._pending is not None

    def _delta(self) -> crdt_pb2.CrdtDelta:
        clock, custom = self._pending or (Clock.DEFAULT, 0)
        register = crdt_pb2.LWWRegisterDelta(clock=clock.value, custom_clock_value=custom)
        if self.value is not None:
            register.value.CopyFrom(pack(self.value))
        return crdt_pb2.CrdtDelta(lwwregister=register)

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return self._delta()

    def _reset_delta(self) -> None:
        self._pending = None

    def _apply(self, delta: crdt_pb2.LWWRegisterDelta) -> None:
        self.value = unpack(delta.value) if delta.value.type_url else None

    def __repr__(self) -> str:
        return f"LWWRegister({self.value!r})"


class Vote(Crdt):
    """A vote among the proxies that are up; this user function casts its proxy's vote."""

    delta_kind = "vote"

    def __init__(self) -> None:
        self.self_vote = False
        self.votes_for = 0
        self.total_voters = 1
        # The self vote the proxy knows: a vote taken back within one command is no change (CRDT-VOTE-001).
        self._known = False

    def vote(self, value: bool) -> None:
        if value != self.self_vote:
            self.self_vote = value
            self.votes_for += 1 if value else -1

    @property
    def at_least_one(self) -> bool:
        return self.votes_for > 0

    @property
    def majority(self) -> bool:
        return self.votes_for * 2 > self.total_voters

    @property
    def all(self) -> bool:
        return self.votes_for == self.total_voters

    def _has_delta(self) -> bool:
        return self.self_vote != self._known

    def _delta(self) -> crdt_pb2.CrdtDelta:
        return crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=self.self_vote))

    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        return self._delta()

    def _reset_delta(self) -> None:
        self._known = self.self_vote

    def _apply(self, delta: crdt_pb2.VoteDelta) -> None:
        self.self_vote, self.votes_for, self.total_voters = delta.self_vote, delta.votes_for, delta.total_voters
        self._known = delta.self_vote

    def __repr__(self) -> str:
        return f"Vote(self_vote={self.self_vote}, votes_for={self.votes_for}, total_voters={self.total_voters})"


CRDT_TYPES: dict[str, type[Crdt]] = {
    t.delta_kind: t for t in (GCounter, PNCounter, GSet, ORSet, LWWRegister, Flag, ORMap, Vote)
}
_ = WriteConsistency  # re-exported
