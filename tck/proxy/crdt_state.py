"""What the proxies hold for each CRDT entity, as the proxy CRDT machine predicts it.

The machine changes an entity through one proxy at a time and waits for the
other to catch up, so every replica converges to one value; only a Vote
differs between replicas (each has its own vote, and the tally counts the
replicas that are up). :class:`Held` is that converged state, :func:`view` the
value one proxy's user function must hold, and :func:`absorb` the state after
the user function of one proxy changed it (the model's value after the
command, as the model of the user function computes it).

:func:`apply` follows what crosses one stream, to know the value the user
function holds (CRDT-004): the init delta, the proxy's deltas, and the
function's own deltas (a vote moves its tally by one, CRDT-VOTE-004).
"""

from __future__ import annotations

import dataclasses

from cloudstate import crdt_pb2

from tck.models.crdt_values import BY_KIND, Value, Vote, receive

#: The proxies a machine talks to: the one under test and, when the run has one, its replica.
MAIN, REPLICA = "main", "replica"


@dataclasses.dataclass(frozen=True)
class Held:
    """The converged state of one entity: no state at all, a value, or (a Vote) the replicas voting true."""

    value: Value | None = None
    voters: frozenset[str] = frozenset()
    deleted: bool = False

    @property
    def exists(self) -> bool:
        return self.value is not None


def view(held: Held, proxy: str, up: frozenset[str]) -> Value | None:
    """The value the user function behind ``proxy`` must hold (None: the entity has no state)."""
    if not isinstance(held.value, Vote):
        return held.value
    return Vote(proxy in held.voters, len(held.voters & up), len(up))


def absorb(held: Held, after: Value, proxy: str) -> Held:
    """The state once ``proxy`` applied a change of its user function that left it holding ``after``."""
    if isinstance(after, Vote):
        voters = held.voters | {proxy} if after.self_vote else held.voters - {proxy}
        return dataclasses.replace(held, value=after, voters=voters)
    return dataclasses.replace(held, value=after)


def forget_votes(held: Held, proxy: str) -> Held:
    """The state after ``proxy`` came back as a new replica (its old vote no longer counts)."""
    return dataclasses.replace(held, voters=held.voters - {proxy})


class Unappliable(ValueError):
    """A delta the user function could not apply either (another type than its value)."""


def apply(known: Value | None, delta: crdt_pb2.CrdtDelta, own: bool = False) -> Value:
    """The known value after a delta crossed the stream (``own``: one the user function sent)."""
    kind = BY_KIND.get(delta.WhichOneof("delta") or "")
    if kind is None:
        raise Unappliable("a CrdtDelta with no delta set")
    try:
        return receive(known, delta, kind, own)
    except ValueError as error:
        raise Unappliable(str(error)) from None
