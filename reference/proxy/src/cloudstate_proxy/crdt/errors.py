"""What the CRDT logic reports: bad deltas from a user function and unreadable stored state."""

from __future__ import annotations

from cloudstate_proxy.errors import ProtocolViolation


class InvalidDelta(ProtocolViolation):
    """A delta the user function must not send (CRDT-064, CRDT-080, CRDT-LWW-009).

    The replica is left as it was: nothing of the delta has been applied.
    """


class CorruptState(Exception):
    """Bytes that are not a replicated state this proxy wrote (or one of a newer format)."""
