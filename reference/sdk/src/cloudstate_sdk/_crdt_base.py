"""What every CRDT value shares: local changes are collected as a pending
delta, sent to the proxy with the reply, and deltas from the proxy are applied
without ever being sent back."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from typing import Any

from cloudstate import crdt_pb2
from google.protobuf import any_pb2

from cloudstate_sdk.errors import ProtocolError
from cloudstate_sdk.payloads import pack


class WriteConsistency(enum.IntEnum):
    """How widely a change must be replicated before the command completes."""

    LOCAL = crdt_pb2.LOCAL
    MAJORITY = crdt_pb2.MAJORITY
    ALL = crdt_pb2.ALL


class Clock(enum.IntEnum):
    """How the proxy timestamps an LWWRegister write."""

    DEFAULT = crdt_pb2.DEFAULT
    REVERSE = crdt_pb2.REVERSE
    CUSTOM = crdt_pb2.CUSTOM
    CUSTOM_AUTO_INCREMENT = crdt_pb2.CUSTOM_AUTO_INCREMENT


def element_key(value: object) -> tuple[str, bytes]:
    """The identity of a set element or map key: its packed type URL and bytes."""
    packed = pack(value)
    return packed.type_url, packed.value


def element_any(key: tuple[str, bytes]) -> any_pb2.Any:
    return any_pb2.Any(type_url=key[0], value=key[1])


class Crdt(ABC):
    """Base of the eight CRDT types. Change them with their methods inside handlers."""

    #: The CrdtDelta member of this type ("gcounter", "orset", ...).
    delta_kind: str

    @abstractmethod
    def _has_delta(self) -> bool:
        """Whether local changes are waiting to be sent."""

    @abstractmethod
    def _delta(self) -> crdt_pb2.CrdtDelta:
        """The local changes since the last reset."""

    @abstractmethod
    def _full_delta(self) -> crdt_pb2.CrdtDelta:
        """The whole value, as a delta from the empty value."""

    @abstractmethod
    def _reset_delta(self) -> None:
        """Forget the local changes (they were sent)."""

    @abstractmethod
    def _apply(self, delta: Any) -> None:
        """Apply the member of a CrdtDelta that matches this type (from the proxy)."""

    def _apply_delta(self, delta: crdt_pb2.CrdtDelta) -> None:
        kind = delta.WhichOneof("delta")
        if kind != self.delta_kind:
            raise ProtocolError(f"a {kind or 'empty'} delta cannot apply to a {type(self).__name__}")
        self._apply(getattr(delta, kind))


def crdt_from_delta(delta: crdt_pb2.CrdtDelta, like: Crdt | None = None) -> Crdt:
    """A new CRDT holding the value a delta describes (its member names the type).

    ``like``, when given, fixes the type: a delta of another type is refused
    as it would be by a value of ``like``'s type (CRDT-018).
    """
    from cloudstate_sdk.crdts import CRDT_TYPES

    kind = delta.WhichOneof("delta")
    if kind is None:
        raise ProtocolError("an empty CRDT delta names no CRDT type")
    if like is not None and kind != like.delta_kind:
        raise ProtocolError(f"a {kind} delta cannot apply to a {type(like).__name__}")
    crdt = CRDT_TYPES[kind]()
    crdt._reset_delta()
    crdt._apply_delta(delta)
    return crdt
