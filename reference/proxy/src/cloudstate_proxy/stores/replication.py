"""Replicas of CRDT entities: which proxies are up, and how they learn of each other's changes.

Every proxy process is one *replica* (spec/12-crdt.md). A :class:`Replication`
tells the CRDT engines three things: the replicas that are up (what a Vote
counts), that another replica changed an entity (the engine then merges the
stored state into its own copy, and the replication acknowledges the change in
its name), and whether a write has reached enough replicas for its write
consistency. :class:`SingleReplica` is the answer for a store that only this
process sees: it is the only replica, so every consistency level is met by
the local write (CRDT-029, CRDT-077). The PostgreSQL store has its own, in
:mod:`.postgres_replication`.
"""

from __future__ import annotations

import abc
import os
import secrets
import socket
from collections.abc import Callable
from typing import Protocol

from cloudstate import crdt_pb2


class ChangeWatcher(Protocol):
    """What a CRDT engine offers the replication for the entities of one persistence id."""

    async def remote_change(self, entity_id: str) -> int | None:
        """Merge the stored state of ``entity_id`` into the replica's copy, if it holds one.

        Returns the stored version it merged, or None when it holds no copy
        (the next activation loads the stored state anyway).
        """

    async def resync(self) -> None:
        """Merge the stored state of every entity held (after notifications may have been missed)."""


def default_replica_id() -> str:
    """Host name, process id and a random part, so that a restarted process is a new replica."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


def required_replicas(consistency: int, up: int) -> int:
    """How many of ``up`` replicas (the writer included) must hold a write of ``consistency``."""
    if consistency == crdt_pb2.ALL:
        return up
    if consistency == crdt_pb2.MAJORITY:
        return up // 2 + 1
    return 1


class Replication(abc.ABC):
    def __init__(self, replica: str) -> None:
        self.replica = replica
        self._watchers: dict[str, ChangeWatcher] = {}
        self._membership: list[Callable[[], None]] = []

    def watch(self, persistence_id: str, watcher: ChangeWatcher) -> None:
        """Send the remote changes of ``persistence_id``'s entities to ``watcher``."""
        self._watchers[persistence_id] = watcher

    def on_membership(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the set of replicas that are up changes."""
        self._membership.append(listener)

    def _membership_changed(self) -> None:
        for listener in self._membership:
            listener()

    @abc.abstractmethod
    def live(self) -> frozenset[str]:
        """The replicas that are up, this one always included."""

    @abc.abstractmethod
    async def replicated(
        self, persistence_id: str, entity_id: str, version: int, consistency: int, timeout: float
    ) -> bool:
        """Wait until enough replicas hold ``version`` of the entity for ``consistency``; False after ``timeout``."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Begin taking part (announce this replica, listen for changes)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop taking part; the other replicas soon count this one as down."""


class SingleReplica(Replication):
    """The only replica: nobody else writes, and the local write meets every consistency level."""

    def live(self) -> frozenset[str]:
        return frozenset((self.replica,))

    async def replicated(
        self, persistence_id: str, entity_id: str, version: int, consistency: int, timeout: float
    ) -> bool:
        return True

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass
