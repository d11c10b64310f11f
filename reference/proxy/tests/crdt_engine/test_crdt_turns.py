"""The CRDT entity stream: init with the state as a delta, local updates, and taking turns with remote changes."""

from __future__ import annotations

import asyncio

import pytest
from cloudstate import crdt_pb2
from cloudstate_proxy.crdt import Tombstone, apply_delta, initial_delta, value_of
from cloudstate_proxy.crdt.values import VoteValue
from crdt_fake import SERVICE
from crdt_harness import PID, element, failure, gcounter, orset, pncounter, running, update, wait_until

# One delta per type that creates a non-empty value (the state a replica "r" writes before the stream opens).
INITIAL = {
    "gcounter": gcounter(7),
    "pncounter": pncounter(-4),
    "gset": crdt_pb2.CrdtDelta(gset=crdt_pb2.GSetDelta(added=[element("a"), element("b")])),
    "orset": orset(added=["x", "y"]),
    "lwwregister": crdt_pb2.CrdtDelta(lwwregister=crdt_pb2.LWWRegisterDelta(value=element("v"))),
    "flag": crdt_pb2.CrdtDelta(flag=crdt_pb2.FlagDelta(value=True)),
    "ormap": crdt_pb2.CrdtDelta(
        ormap=crdt_pb2.ORMapDelta(added=[crdt_pb2.ORMapEntryDelta(key=element("k"), delta=gcounter(2))])
    ),
    "vote": crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=True)),
}


@pytest.mark.parametrize("kind", sorted(INITIAL))
async def test_crdt_013_init_carries_the_stored_state_of_every_type_as_a_delta(kind: str) -> None:
    async with running() as env:
        state = apply_delta(None, "r", INITIAL[kind], 1000)
        await env.store.crdts.merge_and_save(PID, "e1", state, "r")
        await env.do("e1")
        (stream,) = env.streams("e1")
        init = stream.inbound[0].init
        assert (init.service_name, init.entity_id) == (SERVICE, "e1")  # CRDT-012
        replica = env.engine.replication.replica
        assert init.delta == initial_delta(value_of(state, replica, {replica}))
        assert init.delta.WhichOneof("delta") == kind
        if kind == "vote":  # the writer "r" is not up: only this replica counts (CRDT-VOTE-007)
            assert (init.delta.vote.votes_for, init.delta.vote.total_voters) == (0, 1)


async def test_crdt_014_an_entity_without_state_gets_no_delta_and_the_first_update_creates_it() -> None:
    async with running() as env:
        assert (await env.do("new", update(gcounter(5)))).value == "5"
        assert not env.streams("new")[0].inbound[0].init.HasField("delta")
        assert await env.count("new") == 5


async def test_crdt_003_local_updates_are_persisted_and_never_echoed_back() -> None:
    async with running() as env:
        for n in (1, 2, 3):
            await env.do("c", update(pncounter(n)))
        assert (await env.do("c")).value == "6"
        (stream,) = env.streams("c")
        assert stream.kinds() == ["init", "command", "command", "command", "command"]  # no delta
        assert [m.command.id for m in stream.inbound[1:]] == [1, 2, 3, 4]


async def test_crdt_005_a_remote_change_waits_for_the_turn_and_goes_as_one_delta() -> None:
    """The example of spec/12-crdt.md: 7 here, +5 by the user function while +3 arrives from elsewhere."""
    async with running() as env:
        await env.do("c1", update(gcounter(7)))
        first = asyncio.ensure_future(env.do("c1", update(gcounter(5)), script="hold:one"))
        (stream,) = env.streams("c1")
        await wait_until(lambda: len(stream.inbound) == 3)
        await env.remote("c1", gcounter(2))
        await env.remote("c1", gcounter(1))
        second = asyncio.ensure_future(env.do("c1", script="hold:two"))
        await asyncio.sleep(0.1)
        assert stream.kinds() == ["init", "command", "command"]  # nothing while command 2 is out (CRDT-005, 007)
        env.uf.gate("one").set()
        assert (await first).value == "12"  # what the user function knew
        await wait_until(lambda: len(stream.inbound) == 5)
        assert stream.kinds()[3:] == ["delta", "command"]  # one delta, then the held command (CRDT-006, 007)
        assert stream.deltas() == [gcounter(3)]
        env.uf.gate("two").set()
        assert (await second).value == "15"


async def test_crdt_006_a_remote_change_reaches_an_idle_stream_at_once_and_an_orset_delta_is_exact() -> None:
    async with running() as env:
        await env.do("s", update(orset(added=["a", "b"])))
        await env.remote("s", orset(added=["c"], removed=["a"]))
        (stream,) = env.streams("s")
        await wait_until(lambda: len(stream.deltas()) == 1)
        assert stream.deltas()[0] == orset(added=["c"], removed=["a"])
        assert (await env.do("s")).value == "b,c"


async def test_cmd_011_several_commands_are_outstanding_and_replies_match_by_id_in_any_order() -> None:
    async with running() as env:
        await env.do("m", update(pncounter(1)))
        slow = asyncio.ensure_future(env.do("m", update(pncounter(10)), script="hold:slow"))
        fast = asyncio.ensure_future(env.do("m", update(pncounter(100))))
        assert (await fast).value == "101"  # answered while command 2 is still outstanding
        assert not slow.done()
        env.uf.gate("slow").set()
        assert (await slow).value == "111"
        assert await env.count("m") == 111


async def test_crdt_063_passivation_keeps_the_state_and_the_next_stream_starts_from_it() -> None:
    async with running(passivation_ms=100) as env:
        await env.do("p", update(gcounter(4)))
        await wait_until(lambda: env.streams("p")[0].completed)
        await env.remote("p", gcounter(1))  # merged into the store while passivated
        assert (await env.do("p", update(gcounter(1)))).value == "6"
        second = env.streams("p")[1]
        assert second.inbound[0].init.delta == gcounter(5)
        assert second.inbound[1].command.id == 1  # PASS-018
        metrics = env.proxy.metrics.render().decode()
        assert f'cloudstate_entity_passivations_total{{service="{SERVICE}"}}' in metrics


async def test_pass_010_remote_changes_do_not_keep_an_entity_from_being_passivated() -> None:
    async with running(passivation_ms=200) as env:
        await env.do("busy", update(gcounter(1)))
        (stream,) = env.streams("busy")
        async with asyncio.timeout(10):
            while not stream.completed:  # a change from elsewhere every 50 ms, each one sent as a delta
                await env.remote("busy", gcounter(1))
                await asyncio.sleep(0.05)
        assert len(stream.deltas()) >= 2


async def test_crdt_077_with_the_memory_store_every_consistency_level_is_met_locally() -> None:
    async with running() as env:
        for level in (crdt_pb2.LOCAL, crdt_pb2.MAJORITY, crdt_pb2.ALL):
            await env.do("w", update(gcounter(1), level))
            await env.do("v", update(crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=level == 1)), level))
        assert (await env.do("w")).value == "3"
        assert env.engine.replication.live() == {env.engine.replication.replica}


async def test_crdt_vote_007_a_vote_counts_only_the_replicas_that_are_up() -> None:
    async with running() as env:
        vote = crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=True, votes_for=9, total_voters=9))
        await env.do("v", update(vote))  # the tallies a user function sends are ignored (CRDT-VOTE-002)
        await env.remote("v", crdt_pb2.CrdtDelta(vote=crdt_pb2.VoteDelta(self_vote=True)), replica="down")
        await env.do("v")
        assert env.streams("v")[0].deltas() == []  # the vote of a replica that is not up changes nothing
        stored = await env.store.crdts.load(PID, "v")
        assert stored is not None
        assert not isinstance(stored.state, Tombstone)
        replica = env.engine.replication.replica
        tally = value_of(stored.state, replica, env.engine.replication.live())
        assert tally == VoteValue(self_vote=True, votes_for=1, total_voters=1)


async def test_a_store_outage_fails_the_write_with_unavailable_and_the_change_is_stored_later() -> None:
    async with running() as env:
        await env.do("o", update(gcounter(1)))
        original = env.store.crdts.merge_and_save
        outage = True

        async def flaky(*args: object) -> object:
            if outage:
                raise OSError("the disk is on fire")
            return await original(*args)  # type: ignore[arg-type]

        env.store.crdts.merge_and_save = flaky  # type: ignore[method-assign,assignment]
        code, details = await failure(env.do("o", update(gcounter(2))))
        assert code.name == "UNAVAILABLE"  # CRDT-078
        assert "persisting" in details
        outage = False
        await wait_until(lambda: not env.engine.instance("o").writer.dirty)
        assert await env.count("o") == 3
        assert (await env.do("o")).value == "3"
