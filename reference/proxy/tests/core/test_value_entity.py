"""Value entities through the proxy (spec/10-value-entities.md)."""

from __future__ import annotations

import grpc
from cloudstate_proxy.stores import Store
from cloudstate_proxy.stores.memory import MemoryStore
from fake_protos import VE, State, pack
from proxy_harness import FlakyStore, failure, running, wait_until

DO = f"/{VE}/Do"


async def stored(store: Store, entity_id: str) -> str | None:
    value = await store.values.get("ve", entity_id)
    return None if value is None else str(State.FromString(value.value).value)


async def test_ve_012_init_carries_the_stored_value_or_an_empty_state() -> None:
    store = MemoryStore()
    await store.values.put("ve", "v1", pack(State(value="stored")))
    async with running(store=store) as env:
        assert (await env.do(DO, "v1", "")).value == "stored"
        assert (await env.do(DO, "v2", "")).value == ""
        first, second = env.uf.ve.streams
        assert first[0].init.service_name == VE
        assert first[0].init.state.value.type_url == "type.googleapis.com/cstest.State"
        assert second[0].init.HasField("state")
        assert not second[0].init.state.HasField("value")


async def test_ve_033_updates_and_deletes_are_written_before_the_reply() -> None:
    store = FlakyStore()
    store.faults.delay = 0.2
    async with running(store=store) as env:
        assert (await env.do(DO, "v1", "update:A;update:B")).value == "B"
        assert await stored(store, "v1") == "B"
        assert (await env.do(DO, "v1", "delete")).value == ""
        assert await stored(store, "v1") is None
        assert [c.id for c in env.uf.ve.commands()] == [1, 2]


async def test_ve_042_a_failure_writes_nothing_and_reports_the_extras() -> None:
    async with running() as env:
        await env.do(DO, "v1", "update:A")
        code, details = await failure(env.do(DO, "v1", "update:B;fail:nope"))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "nope")
        await wait_until(lambda: env.uf.discovery.reported("a state action"))
        assert await stored(env.store, "v1") == "A"
        assert (await env.do(DO, "v1", "")).value == "A"
        assert len(env.uf.ve.streams) == 1


async def test_ve_046_failure_with_restart_reinitialises_from_the_store() -> None:
    async with running() as env:
        await env.do(DO, "v1", "update:A")
        await failure(env.do(DO, "v1", "fail:x;restart"))
        await wait_until(lambda: len(env.uf.ve.streams) == 2)
        assert (await env.do(DO, "v1", "")).value == "A"
        assert State.FromString(env.uf.ve.streams[1][0].init.state.value.value).value == "A"
        assert env.uf.ve.commands(1)[0].id == 1


async def test_ve_050_a_crash_writes_nothing_and_the_entity_starts_again() -> None:
    async with running() as env:
        await env.do(DO, "v1", "update:A")
        code, details = await failure(env.do(DO, "v1", "update:B;crash:kaput"))
        assert code == grpc.StatusCode.INTERNAL
        assert "kaput" in details
        assert "v1" in details
        assert await stored(env.store, "v1") == "A"
        assert (await env.do(DO, "v1", "")).value == "A"


async def test_ve_053_a_failed_write_is_unavailable_and_the_entity_reloads() -> None:
    store = FlakyStore()
    async with running(store=store) as env:
        await env.do(DO, "v1", "update:A")
        store.faults.failing = {"put"}
        code, _ = await failure(env.do(DO, "v1", "update:B"))
        assert code == grpc.StatusCode.UNAVAILABLE
        store.faults.failing = set()
        assert (await env.do(DO, "v1", "")).value == "A"
        assert len(env.uf.ve.streams) == 2


async def test_ve_055_an_unreadable_value_fails_the_command_without_init() -> None:
    store = FlakyStore()
    store.faults.failing = {"get"}
    async with running(store=store) as env:
        code, _ = await failure(env.do(DO, "v1", ""))
        assert code == grpc.StatusCode.UNAVAILABLE
        assert env.uf.ve.streams == []
        store.faults.failing = set()
        assert (await env.do(DO, "v1", "update:C")).value == "C"
