"""Flag (a boolean that only switches on) and Vote (one boolean per replica).

A Vote keeps, per replica, how many times that replica has changed its vote:
an odd count is a vote for. Only the replica itself changes its count and it
only raises it, so the larger count is its latest vote (CRDT-VOTE-009). Which
replicas are counted is not part of the state: the caller passes the replicas
that are up when it reads the value (CRDT-VOTE-007).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt.causal import Write


@dataclasses.dataclass(frozen=True)
class Flag:
    KIND: ClassVar[str] = "flag"
    on: bool = False


@dataclasses.dataclass(frozen=True)
class Vote:
    """Replica id -> number of changes of its vote (odd: votes for)."""

    KIND: ClassVar[str] = "vote"
    changes: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def vote_of(self, replica: str) -> bool:
        return self.changes.get(replica, 0) % 2 == 1


def merge_flag(a: Flag, b: Flag) -> Flag:
    return Flag(a.on or b.on)


def merge_vote(a: Vote, b: Vote) -> Vote:
    return Vote({r: max(a.changes.get(r, 0), b.changes.get(r, 0)) for r in a.changes.keys() | b.changes.keys()})


def apply_flag(state: Flag | None, delta: crdt_pb2.FlagDelta, write: Write) -> Flag:
    """True switches on; false changes nothing (CRDT-FLAG-001, CRDT-FLAG-002)."""
    return Flag(delta.value or (state is not None and state.on))


def apply_vote(state: Vote | None, delta: crdt_pb2.VoteDelta, write: Write) -> Vote:
    """Only ``self_vote`` counts; the tallies a user function sends are ignored (CRDT-VOTE-002)."""
    state = state or Vote()
    if state.vote_of(write.replica) == delta.self_vote:
        return state
    return Vote({**state.changes, write.replica: state.changes.get(write.replica, 0) + 1})
