"""Forwards and side effects (spec/05-commands.md)."""

from __future__ import annotations

import asyncio

import grpc
from cloudstate_proxy.stores import Store
from fake_protos import ACT, ES, Cmd, State
from proxy_harness import failure, running, wait_until

ES_DO, ACT_UNARY = f"/{ES}/Do", f"/{ACT}/Unary"


async def stored(store: Store, entity_id: str) -> str | None:
    value = await store.values.get("ve", entity_id)
    return None if value is None else str(State.FromString(value.value).value)


async def test_fx_016_a_forward_answers_with_the_target_s_reply_after_persisting() -> None:
    async with running() as env:
        response = await env.do(ES_DO, "e1", "emit:A;forward:cstest.Ve/Do/v1/update:F,meta:x-from=ve")
        assert response.value == "F"
        assert await stored(env.store, "v1") == "F"
        assert [c.entity_id for c in env.uf.ve.commands()] == ["v1"]
        assert (await env.store.journal.recover("es", "e1")).sequence == 1


async def test_meta_023_headers_come_from_the_reply_that_finally_answers() -> None:
    async with running() as env:
        call = env.unary(ES_DO)(_cmd("e1", "meta:x-from=es;forward:cstest.Ve/Do/v1/meta:x-from=ve"))
        assert ("x-from", "ve") in list(await call.initial_metadata())
        await call


async def test_fx_017_a_forward_to_an_unknown_method_fails_internal_and_is_reported() -> None:
    async with running() as env:
        code, details = await failure(env.do(ES_DO, "e1", "emit:A;forward:cstest.Nope/Do/x"))
        assert code == grpc.StatusCode.INTERNAL
        assert "cstest.Nope.Do" in details
        await wait_until(lambda: env.uf.discovery.reported("cstest.Nope.Do"))
        assert "entity id 'e1'" in env.uf.discovery.errors[-1]
        assert (await env.store.journal.recover("es", "e1")).sequence == 1  # the events stay (ES-046)


async def test_fx_018_a_forward_to_another_output_type_fails_without_calling_the_target() -> None:
    async with running() as env:
        code, details = await failure(env.do(ACT_UNARY, "a", "forward:cstest.Act/Mismatch/x"))
        assert code == grpc.StatusCode.INTERNAL
        assert "cstest.Other" in details
        assert "cstest.State" in details
        assert [c.name for c in env.uf.actions.commands] == ["Unary"]


async def test_fx_019_a_forward_to_a_streaming_method_fails_without_calling_it() -> None:
    async with running() as env:
        code, details = await failure(env.do(ACT_UNARY, "a", "forward:cstest.Act/Out/x"))
        assert code == grpc.StatusCode.INTERNAL
        assert "streaming" in details
        assert [c.name for c in env.uf.actions.commands] == ["Unary"]


async def test_key_021_a_forward_whose_payload_lacks_the_key_fails_internal() -> None:
    async with running() as env:
        code, details = await failure(env.do(ACT_UNARY, "a", "forward:cstest.Ve/Do/"))
        assert code == grpc.StatusCode.INTERNAL
        assert "entity key" in details
        await wait_until(lambda: env.uf.discovery.reported("entity key"))
        assert env.uf.ve.streams == []


async def test_fx_021_a_forward_loop_stops_after_32_forwards() -> None:
    async with running() as env:
        code, details = await failure(env.do(ACT_UNARY, "a", "loop:cstest.Act/Unary"))
        assert code == grpc.StatusCode.INTERNAL
        assert "32" in details
        assert len(env.uf.actions.commands) == 33


async def test_fx_005_synchronous_effects_run_in_order_before_the_reply_asynchronous_after() -> None:
    async with running() as env:
        script = "emit:A;synceffect:cstest.Ve/Do/s/update:1;effect:cstest.Ve/Do/late/sleep:0.5,update:L;"
        script += "synceffect:cstest.Ve/Do/s/update:2"
        assert (await env.do(ES_DO, "e1", script)).value == "A"
        assert await stored(env.store, "s") == "2"  # both synchronous effects ran, in order
        assert await stored(env.store, "late") is None  # the asynchronous one was started after the reply
        assert await _eventually(env.store, "late", "L")


async def test_cmd_010_a_synchronous_effect_on_the_same_entity_does_not_deadlock() -> None:
    async with running() as env:
        assert (await env.do(ES_DO, "e1", "emit:A;synceffect:cstest.Es/Do/e1/emit:B")).value == "A"
        assert (await env.do(ES_DO, "e1", "")).value == "AB"


async def test_fx_026_an_effect_with_an_unknown_target_is_skipped_and_reported() -> None:
    async with running() as env:
        response = await env.do(ACT_UNARY, "a", "synceffect:cstest.Act/Gone/x;synceffect:cstest.Ve/Do/v/update:V")
        assert response.value == "a"
        await wait_until(lambda: env.uf.discovery.reported("cstest.Act.Gone"))
        assert await stored(env.store, "v") == "V"


async def test_fx_009_a_failing_effect_does_not_change_the_response() -> None:
    async with running(relay_timeout=0.3) as env:
        script = "synceffect:cstest.Act/Unary/x/fail:oops;synceffect:cstest.Act/Unary/y/sleep:2"
        assert (await env.do(ACT_UNARY, "a", script)).value == "a"


async def test_fx_012_effects_of_an_entity_command_run_even_when_the_client_went_away() -> None:
    async with running() as env:
        call = env.unary(ES_DO)(_cmd("e1", "sleep:0.3;emit:A;effect:cstest.Ve/Do/v9/update:Z"))
        await wait_until(lambda: env.uf.es.commands() if env.uf.es.streams else None)
        call.cancel()
        assert await _eventually(env.store, "v9", "Z")


async def _eventually(store: Store, entity_id: str, value: str) -> bool:
    """Whether the value entity's stored value becomes ``value`` within a few seconds."""
    for _ in range(500):
        if await stored(store, entity_id) == value:
            return True
        await asyncio.sleep(0.01)
    return False


def _cmd(entity_id: str, script: str) -> object:
    return Cmd(id=entity_id, script=script)
