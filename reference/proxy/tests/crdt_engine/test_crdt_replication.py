"""Two proxies over one PostgreSQL database, with the SDK's TCK model behind them: replicas of CRDT entities.

Each proxy is a replica (spec/12-crdt.md, durability and replication): they
converge under concurrent updates, keep every acknowledged write across a
restart of both, meet MAJORITY and ALL together, and count each other in a
Vote while they are up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import grpc
import pytest
from cloudstate.tck.model import crdt_pb2 as pb
from cloudstate_proxy.stores import PostgresStore
from cloudstate_proxy.testing import ProxyProcess
from tck_client import Client, add, eventually, inc, needs_sdk, proxy_client, tck_model, upd

pytestmark = needs_sdk
model_port = pytest.fixture(tck_model, scope="module", name="model_port")

VOTE_FOR = upd(vote=pb.VoteUpdate(self_vote=True))


@contextlib.asynccontextmanager
async def two_proxies(port: int, dsn: str) -> AsyncIterator[tuple[Client, Client]]:
    async with (
        proxy_client(port, PostgresStore(dsn), replica_id="proxy-a") as a,
        proxy_client(port, PostgresStore(dsn), replica_id="proxy-b") as b,
    ):
        await eventually(lambda: _up(a, b, count=2))
        yield a, b


async def _up(*clients: Client, count: int) -> bool:
    return all(len(c.engine.replication.live()) == count for c in clients)


async def _same(a: Client, b: Client, entity: str, expected: pb.State) -> bool:
    return await a.process(entity) == expected and await b.process(entity) == expected


async def test_two_proxies_converge_under_concurrent_updates_and_keep_everything_across_a_restart(
    model_port: int, postgres_dsn: str
) -> None:
    """CRDT-072, CRDT-074, CRDT-075: concurrent writes through both replicas, then a restart of both."""
    counter = pb.State(pncounter=pb.PNCounterValue(value=60))
    elements = pb.State(
        orset=pb.ORSetValue(elements=sorted([f"a{n}" for n in range(10)] + [f"b{n}" for n in range(10)]))
    )
    async with two_proxies(model_port, postgres_dsn) as (a, b):
        writes = [a.process("PNCounter-c", inc(1)) for _ in range(20)] + [
            b.process("PNCounter-c", inc(2)) for _ in range(20)
        ]
        writes += [a.process("ORSet-c", add(f"a{n}")) for n in range(10)]
        writes += [b.process("ORSet-c", add(f"b{n}")) for n in range(10)]
        await asyncio.gather(*writes)
        await eventually(lambda: _same(a, b, "PNCounter-c", counter))
        await eventually(lambda: _same(a, b, "ORSet-c", elements))
    async with two_proxies(model_port, postgres_dsn) as (a, b):  # both were stopped: only the database remains
        assert await a.process("PNCounter-c") == counter
        assert await b.process("ORSet-c") == elements


async def test_majority_and_all_are_met_when_the_other_replica_merges(model_port: int, postgres_dsn: str) -> None:
    async with two_proxies(model_port, postgres_dsn) as (a, b):
        await b.process("PNCounter-w")  # active on b, so b merges a's writes into its copy
        assert (await a.process("PNCounter-w", inc(3, pb.MAJORITY))).pncounter.value == 3
        assert (await a.process("PNCounter-w", inc(4, pb.ALL))).pncounter.value == 7
        assert (await b.process("PNCounter-w")).pncounter.value == 7  # ALL: b held it before a answered


async def test_a_delete_through_one_proxy_reaches_the_other(model_port: int, postgres_dsn: str) -> None:
    """CRDT-036, CRDT-039: the other proxy's stream gets CrdtDelete, and its later commands NOT_FOUND."""
    async with two_proxies(model_port, postgres_dsn) as (a, b):
        await b.process("GSet-d", upd(gset=pb.GSetUpdate(add="x")))
        everywhere = upd(gset=pb.GSetUpdate(add="y"), write_consistency=pb.ALL)  # the delete is written at ALL
        await a.process("GSet-d", everywhere, pb.RequestAction(delete=pb.Delete()))
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await b.process("GSet-d")
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_write_consistency_not_reached_in_time_is_unavailable_and_stays_applied(
    model_port: int, postgres_dsn: str
) -> None:
    """CRDT-030 to CRDT-032: a replica that is up but never acknowledges."""
    store = PostgresStore(postgres_dsn)
    async with proxy_client(model_port, store, crdt_write_timeout=0.3, crdt_liveness_window=30.0) as a:
        async with store.connection() as connection:
            await connection.execute(
                "INSERT INTO cloudstate_crdt_replicas (replica_id, incarnation) VALUES ('mute', 'x')"
            )
        await eventually(lambda: _up(a, count=2))
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await a.process("GCounter-t", upd(gcounter=pb.GCounterUpdate(increment=2), write_consistency=pb.ALL))
        assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
        details = failed.value.details() or ""
        assert "write consistency ALL not reached within 0.3 s" in details
        assert "GCounter-t" in details
        assert (await a.process("GCounter-t")).gcounter.value == 2  # not undone
        assert (await a.process("GCounter-t", upd(gcounter=pb.GCounterUpdate(increment=1)))).gcounter.value == 3


async def test_vote_counts_the_proxies_that_are_up(model_port: int, postgres_dsn: str) -> None:
    """CRDT-VOTE-007, CRDT-VOTE-008: the other proxy crashes; after the liveness window it no longer counts."""
    other = ProxyProcess(
        model_port, postgres_dsn, REPLICA_ID="proxy-b", CRDT_HEARTBEAT_INTERVAL="100ms", CRDT_LIVENESS_WINDOW="1s"
    )
    other.start()
    try:
        async with proxy_client(model_port, PostgresStore(postgres_dsn), replica_id="proxy-a") as a:
            await other.wait_ready()
            await eventually(lambda: _up(a, count=2))
            await a.process("Vote-v", VOTE_FOR)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{other.http_port}") as channel:
                process = channel.unary_unary(
                    "/cloudstate.tck.model.crdt.CrdtTckModel/Process",
                    pb.Request.SerializeToString,
                    pb.Response.FromString,
                )
                await process(pb.Request(id="Vote-v", actions=[VOTE_FOR]))
            both = pb.State(vote=pb.VoteValue(self_vote=True, votes_for=2, total_voters=2))
            await eventually(lambda: _reads(a, "Vote-v", both))
            await other.kill()  # no goodbye: only the liveness window tells
            alone = pb.State(vote=pb.VoteValue(self_vote=True, votes_for=1, total_voters=1))
            await eventually(lambda: _reads(a, "Vote-v", alone))
    finally:
        other.cleanup()


async def _reads(client: Client, entity: str, expected: pb.State) -> bool:
    return await client.process(entity) == expected
