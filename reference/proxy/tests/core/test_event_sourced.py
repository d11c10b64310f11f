"""Event-sourced entities through the proxy (spec/09-event-sourced.md), against the scripted fake."""

from __future__ import annotations

import asyncio
import itertools

import grpc
from cloudstate_proxy.stores import Store
from cloudstate_proxy.stores.memory import MemoryStore
from fake_protos import ES, State, pack
from proxy_harness import FlakyStore, failure, running, wait_until

DO = f"/{ES}/Do"


async def events(store: Store, entity_id: str) -> list[str]:
    """Every event in the entity's journal (snapshots aside), in order."""
    tagged = await store.journal.events_by_persistence_id("es", 0, 10_000)
    return [State.FromString(t.event.payload.value).value for t in tagged if t.entity_id == entity_id]


async def test_es_013_first_command_opens_a_stream_with_init_then_command_1() -> None:
    async with running() as env:
        assert (await env.do(DO, "e1", "emit:A;emit:B")).value == "AB"
        stream = env.uf.es.streams[0]
        assert stream[0].init.service_name == ES
        assert stream[0].init.entity_id == "e1"
        assert not stream[0].init.HasField("snapshot")
        command = stream[1].command
        assert (command.entity_id, command.id, command.name, command.streamed) == ("e1", 1, "Do", False)
        assert command.payload.type_url == "type.googleapis.com/cstest.Cmd"
        assert await events(env.store, "e1") == ["A", "B"]


async def test_es_020_a_new_stream_replays_the_snapshot_and_later_events() -> None:
    store = MemoryStore()
    await store.journal.append("es", "e1", 0, [pack(State(value="A")), pack(State(value="B"))], pack(State(value="AB")))
    await store.journal.append("es", "e1", 2, [pack(State(value="C"))])
    async with running(store=store) as env:
        assert (await env.do(DO, "e1", "emit:D")).value == "ABCD"
        init, *rest = env.uf.es.streams[0]
        assert init.init.snapshot.snapshot_sequence == 2
        assert State.FromString(init.init.snapshot.snapshot.value).value == "AB"
        assert [(m.event.sequence, State.FromString(m.event.payload.value).value) for m in rest[:-1]] == [(3, "C")]
        assert rest[-1].WhichOneof("message") == "command"
        assert await events(store, "e1") == ["A", "B", "C", "D"]


async def test_es_041_snapshot_is_stored_with_the_sequence_of_the_reply_s_last_event() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        await env.do(DO, "e1", "emit:B;emit:C;snap")
        recovery = await env.store.journal.recover("es", "e1")
        assert recovery.snapshot is not None
        assert recovery.snapshot.sequence == 3
        assert State.FromString(recovery.snapshot.payload.value).value == "ABC"


async def test_es_037_events_are_persisted_before_the_reply_is_released() -> None:
    store = FlakyStore()
    store.faults.delay = 0.2  # a slow journal: a reply released early would arrive before the events are stored
    async with running(store=store) as env:
        await env.do(DO, "e1", "emit:A")
        assert await events(store, "e1") == ["A"]  # checked the moment the reply arrived


async def test_es_026_commands_for_one_entity_are_queued_and_sent_one_at_a_time_in_order() -> None:
    async with running() as env:
        calls = [env.do(DO, "e1", f"sleep:0.05;emit:{letter}") for letter in "ABCDE"]
        values = sorted((r.value for r in await asyncio.gather(*calls)), key=len)
        # Each command saw exactly the state the previous ones left: they ran one after the other.
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(values))
        assert sorted(values[-1]) == list("ABCDE")
        assert [c.id for c in env.uf.es.commands()] == [1, 2, 3, 4, 5]
        assert len(env.uf.es.streams) == 1


async def test_a_slow_entity_does_not_hold_up_another_entity() -> None:
    async with running(shutdown_grace=0.2) as env:
        slow = asyncio.ensure_future(env.do(DO, "slow", "sleep:5;emit:S"))
        await wait_until(lambda: env.uf.es.entity_streams("slow"))
        assert (await env.do(DO, "fast", "emit:F")).value == "F"
        assert not slow.done()
        slow.cancel()


async def test_es_060_client_failure_keeps_the_stream_and_persists_nothing() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        code, details = await failure(env.do(DO, "e1", "fail:no way"))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "no way")
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"
        assert [c.id for c in env.uf.es.commands()] == [1, 2, 3]
        assert await events(env.store, "e1") == ["A", "B"]


async def test_es_057_failure_with_events_is_delivered_and_the_extras_discarded_and_reported() -> None:
    async with running() as env:
        code, details = await failure(env.do(DO, "e1", "emit:X;synceffect:cstest.Act/Unary/a;fail:bad"))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "bad")
        await wait_until(lambda: env.uf.discovery.reported("warning: "))
        assert "events" in env.uf.discovery.errors[-1]
        assert "side effects" in env.uf.discovery.errors[-1]
        assert await events(env.store, "e1") == []
        assert env.uf.actions.commands == []


async def test_es_063_failure_with_restart_reloads_the_entity_before_the_next_command() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A;emit:B;snap")
        await env.do(DO, "e1", "emit:C")
        code, _ = await failure(env.do(DO, "e1", "emit:K;fail:no K;restart"))
        assert code == grpc.StatusCode.UNKNOWN
        await wait_until(lambda: len(env.uf.es.streams) == 2)
        assert (await env.do(DO, "e1", "emit:D")).value == "ABCD"
        _, new = env.uf.es.streams
        assert env.uf.es.completed >= 1  # the old stream was half-closed and ended by the user function
        assert new[0].init.snapshot.snapshot_sequence == 2
        assert [m.event.sequence for m in new[1:-1]] == [3]
        assert new[-1].command.id == 1


async def test_fail_019_a_crash_fails_the_command_and_the_queued_ones_then_the_entity_restarts() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        crash = asyncio.ensure_future(env.do(DO, "e1", "sleep:0.2;crash:boom"))
        await wait_until(lambda: len(env.uf.es.commands()) == 2)
        queued = asyncio.ensure_future(env.do(DO, "e1", "emit:Q"))
        for call in (crash, queued):
            code, details = await failure(call)
            assert code == grpc.StatusCode.INTERNAL
            assert ES in details
            assert "e1" in details
            assert "boom" in details
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"
        assert len(env.uf.es.streams) == 2
        assert await events(env.store, "e1") == ["A", "B"]


async def test_trn_032_a_stream_ended_by_the_user_function_is_a_crash() -> None:
    async with running() as env:
        code, details = await failure(env.do(DO, "e1", "emit:X;end"))
        assert code == grpc.StatusCode.INTERNAL
        assert "ended" in details
        assert (await env.do(DO, "e1", "emit:A")).value == "A"
        assert await events(env.store, "e1") == ["A"]
