"""The replicated CRDTs of the proxy: pure data and functions, no I/O.

A replica's state is a :data:`Replicated` (one of the eight types, or the
:data:`TOMBSTONE` of a deleted entity); None stands for an entity with no state.
What a CRDT engine does with it, per entity:

- merge another replica's (or the store's) state: ``state = merge(state, other)``;
- open a stream: ``known = value_of(state, replica, live)`` and send
  ``CrdtInit.delta = initial_delta(known)``, or no delta when ``state`` is None;
- a reply with ``state_action.update``: ``state = apply_delta(state, replica, delta, now_ms)``
  (raises :class:`InvalidDelta`, a :class:`~cloudstate_proxy.errors.ProtocolViolation`)
  and ``known = apply_value(known, delta, own=True)``;
- at a turn: ``change = delta_since(known, state, replica, live)``; None means
  nothing to send, :data:`REINITIALISE` means restart the stream (CRDT-065),
  a delta is sent and then ``known = value_of(state, replica, live)``;
- persist with :func:`encode` and read back with :func:`decode`.

``live`` is the set of replicas that are up (it only matters to Vote).
"""

from cloudstate_proxy.crdt.codec import decode, encode
from cloudstate_proxy.crdt.deltas import REINITIALISE, Change, Reinitialise, delta_between, delta_since, initial_delta
from cloudstate_proxy.crdt.errors import CorruptState, InvalidDelta
from cloudstate_proxy.crdt.reading import value_of
from cloudstate_proxy.crdt.replicated import TOMBSTONE, TYPE_NUMBERS, Crdt, Replicated, Tombstone, apply_delta, merge
from cloudstate_proxy.crdt.values import Value, apply_value

__all__ = [
    "REINITIALISE",
    "TOMBSTONE",
    "TYPE_NUMBERS",
    "Change",
    "CorruptState",
    "Crdt",
    "InvalidDelta",
    "Reinitialise",
    "Replicated",
    "Tombstone",
    "Value",
    "apply_delta",
    "apply_value",
    "decode",
    "delta_between",
    "delta_since",
    "encode",
    "initial_delta",
    "merge",
    "value_of",
]
