"""A replica's state read as a value: what the user function attached to that replica should hold."""

from __future__ import annotations

from collections.abc import Set

from cloudstate_proxy.crdt import ormap
from cloudstate_proxy.crdt.booleans import Flag, Vote
from cloudstate_proxy.crdt.counters import GCounter, PNCounter
from cloudstate_proxy.crdt.ormap import ORMap
from cloudstate_proxy.crdt.register import LWWRegister
from cloudstate_proxy.crdt.replicated import Crdt, merge_crdt
from cloudstate_proxy.crdt.sets import GSet, ORSet
from cloudstate_proxy.crdt.values import (
    FlagValue,
    GCounterValue,
    GSetValue,
    LWWRegisterValue,
    ORMapValue,
    ORSetValue,
    PNCounterValue,
    Value,
    VoteValue,
)


def value_of(state: Crdt, replica: str, live: Set[str] = frozenset()) -> Value:
    """The value of ``state`` for the user function attached to ``replica``.

    ``live`` is the set of replicas that are up; only they count in a Vote's
    tally, and ``replica`` always counts (CRDT-VOTE-007, CRDT-077).
    """
    match state:
        case GCounter():
            return GCounterValue(state.total)
        case PNCounter():
            return PNCounterValue(state.total)
        case GSet():
            return GSetValue(state.elements)
        case ORSet():
            return ORSetValue(state.elements)
        case LWWRegister():
            return LWWRegisterValue(state.value)
        case Flag():
            return FlagValue(state.on)
        case ORMap():
            nested = ormap.values(state, merge_crdt)
            return ORMapValue({key: value_of(v, replica, live) for key, v in nested.items()})
        case Vote():
            voters = set(live) | {replica}
            votes_for = sum(1 for r in voters if state.vote_of(r))
            return VoteValue(state.vote_of(replica), votes_for, len(voters))
    raise TypeError(f"not a CRDT state: {state!r}")
