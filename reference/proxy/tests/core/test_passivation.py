"""Passivation (spec/08-passivation.md): idle entities are half-closed and come back from the store."""

from __future__ import annotations

from fake_protos import ES, VE, entity_spec
from proxy_harness import running, wait_until


async def test_pass_003_the_discovered_timeout_passivates_and_the_next_command_replays() -> None:
    async with running(entity_spec(passivation_ms=100)) as env:
        assert (await env.do(f"/{ES}/Do", "e1", "emit:A;emit:B")).value == "AB"
        await wait_until(lambda: env.uf.es.completed == 1)  # half-closed by the proxy, completed by the fake
        assert (await env.do(f"/{ES}/Do", "e1", "emit:C")).value == "ABC"
        second = env.uf.es.streams[1]
        assert [m.WhichOneof("message") for m in second] == ["init", "event", "event", "command"]
        assert second[-1].command.id == 1
        metrics = env.proxy.metrics.render().decode()
        assert 'cloudstate_entity_passivations_total{service="cstest.Es"} 1.0' in metrics


async def test_pass_004_without_a_strategy_the_proxy_default_for_the_type_applies() -> None:
    async with running(value_entity_passivation_timeout=0.1) as env:
        await env.do(f"/{VE}/Do", "v1", "update:A")
        await env.do(f"/{ES}/Do", "e1", "emit:A")
        await wait_until(lambda: env.uf.ve.completed == 1)
        assert env.uf.es.completed == 0  # event-sourced entities keep the 30 s default
        assert (await env.do(f"/{VE}/Do", "v1", "")).value == "A"
        assert len(env.uf.ve.streams) == 2


async def test_trn_042_shutdown_half_closes_every_entity_stream() -> None:
    async with running() as env:
        for entity_id in ("a", "b", "c"):
            await env.do(f"/{ES}/Do", entity_id, "emit:X")
        await env.proxy.stop()
        assert env.uf.es.completed == 3
