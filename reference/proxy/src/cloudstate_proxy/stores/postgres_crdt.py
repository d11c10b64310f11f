"""CRDT state in PostgreSQL (table ``cloudstate_crdt_state``), and the change notice other proxies listen to.

A write is one transaction: make sure the row exists (an insert that does
nothing when it does; a concurrent first insert waits for the other one to
commit), lock it with ``SELECT ... FOR UPDATE``, merge the given state into
the stored one, write the result with the version raised by one, and
``pg_notify`` the change. PostgreSQL delivers a notification only when its
transaction commits, so a listener never hears of a write that is not
durable, and it reads the row afterwards, so it always sees that write.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cloudstate_proxy.crdt import CorruptState, Replicated, decode, encode, merge
from cloudstate_proxy.errors import EntityFailure
from cloudstate_proxy.stores.base import CrdtStore, StoredCrdt, check_key

if TYPE_CHECKING:
    from cloudstate_proxy.stores.postgres_journal import Connector

#: The channel on which every write is announced: {"p": persistence id, "e": entity id, "v": version, "r": writer}.
CHANGES_CHANNEL = "cloudstate_crdt_changes"
#: A notification payload must stay under 8000 bytes; a longer one is replaced by "*", which asks every
#: listener to reload all the entities it holds.
MAX_PAYLOAD = 7900
RESYNC = "*"


def change_notice(persistence_id: str, entity_id: str, version: int, origin: str) -> str:
    payload = json.dumps({"p": persistence_id, "e": entity_id, "v": version, "r": origin}, separators=(",", ":"))
    return payload if len(payload.encode()) <= MAX_PAYLOAD else RESYNC


def _decoded(data: bytes, persistence_id: str, entity_id: str) -> Replicated:
    try:
        return decode(data)
    except CorruptState as error:
        raise EntityFailure(
            f"the stored state of CRDT entity {persistence_id}/{entity_id} is unusable: {error}"
        ) from None


class PostgresCrdts(CrdtStore):
    def __init__(self, connect: Connector) -> None:
        self._connect = connect

    async def load(self, persistence_id: str, entity_id: str) -> StoredCrdt | None:
        check_key(persistence_id, entity_id)
        async with self._connect() as connection:
            row = await connection.fetchrow(
                "SELECT version, state FROM cloudstate_crdt_state WHERE persistence_id = $1 AND entity_id = $2",
                persistence_id,
                entity_id,
            )
        return None if row is None else StoredCrdt(_decoded(row["state"], persistence_id, entity_id), row["version"])

    async def merge_and_save(
        self, persistence_id: str, entity_id: str, state: Replicated, origin: str = ""
    ) -> StoredCrdt:
        check_key(persistence_id, entity_id)
        async with self._connect() as connection, connection.transaction():
            await connection.execute(
                """
                INSERT INTO cloudstate_crdt_state (persistence_id, entity_id, version, state) VALUES ($1, $2, 0, '')
                ON CONFLICT (persistence_id, entity_id) DO NOTHING
                """,
                persistence_id,
                entity_id,
            )
            row = await connection.fetchrow(
                """
                SELECT version, state FROM cloudstate_crdt_state
                WHERE persistence_id = $1 AND entity_id = $2 FOR UPDATE
                """,
                persistence_id,
                entity_id,
            )
            assert row is not None, "the row was inserted above"
            version = row["version"] + 1
            merged = merge(_decoded(row["state"], persistence_id, entity_id), state) if row["version"] else state
            await connection.execute(
                """
                UPDATE cloudstate_crdt_state SET version = $3, state = $4, written_at = now()
                WHERE persistence_id = $1 AND entity_id = $2
                """,
                persistence_id,
                entity_id,
                version,
                encode(merged),
            )
            await connection.execute(
                "SELECT pg_notify($1, $2)",
                CHANGES_CHANNEL,
                change_notice(persistence_id, entity_id, version, origin),
            )
        return StoredCrdt(merged, version)
