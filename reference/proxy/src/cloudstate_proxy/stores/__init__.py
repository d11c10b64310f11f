"""Where the proxy keeps entity state: pick a store by URL with :func:`open_store`.

``None``, ``"memory"`` or ``"memory://"``
    :class:`MemoryStore`, in this process only (the default).
``"postgresql://..."`` or ``"postgres://..."``
    :class:`PostgresStore`; the URL is passed to asyncpg as is (user,
    password, host, port, database, ``?sslmode=...``).

The store still has to be started (``await store.start()``), which connects
and creates or migrates the schema. ``store.replication(...)`` gives the CRDT
replication among the proxies that share the store (only this process for the
in-memory store).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudstate_proxy.stores.base import (
    CrdtStore,
    EventJournal,
    Recovery,
    Store,
    StoredCrdt,
    StoredEvent,
    StoredSnapshot,
    TaggedEvent,
    ValueStore,
)
from cloudstate_proxy.stores.memory import MemoryStore
from cloudstate_proxy.stores.postgres import PostgresStore
from cloudstate_proxy.stores.replication import Replication, SingleReplica

__all__ = [
    "CrdtStore",
    "EventJournal",
    "MemoryStore",
    "PostgresStore",
    "Recovery",
    "Replication",
    "SingleReplica",
    "Store",
    "StoredCrdt",
    "StoredEvent",
    "StoredSnapshot",
    "TaggedEvent",
    "ValueStore",
    "open_store",
]


def open_store(url: str | None) -> Store:
    """The store a URL names (not started yet); ValueError for a URL no store understands."""
    if url is None or url in ("memory", "memory://"):
        return MemoryStore()
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresStore(url)
    # Name only the scheme of a URL: the rest may hold a password.
    what = f"scheme {scheme + '://'!r}" if scheme else repr(url)
    raise ValueError(
        f"unsupported store URL {what}: use 'memory' (or 'memory://', the default) for the in-memory store, "
        "or 'postgresql://user:password@host:port/database' for PostgreSQL"
    )
