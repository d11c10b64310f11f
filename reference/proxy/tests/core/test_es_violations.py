"""Protocol violations, relay timeouts and store errors on event-sourced streams (spec/06-failures.md)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from fake_protos import ES
from proxy_harness import FlakyStore, failure, running, wait_until

DO = f"/{ES}/Do"


@pytest.mark.parametrize(
    ("script", "violation"),
    [
        ("emit:X;wrongid", "command id 102 while command 2 (Do) is outstanding"),
        ("snaponly", "snapshot but no events"),
        ("emit:X;noaction", "no client action"),
    ],
)
async def test_fail_032_a_violation_is_reported_fails_the_command_and_restarts_the_entity(
    script: str, violation: str
) -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        code, details = await failure(env.do(DO, "e1", script))
        assert code == grpc.StatusCode.INTERNAL
        assert "protocol violation" in details
        assert ES in details
        assert "e1" in details
        await wait_until(lambda: env.uf.discovery.reported(violation))
        report = env.uf.discovery.errors[-1]
        assert report.startswith("error: ")
        assert ES in report
        assert "'e1'" in report
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"  # nothing of the violating reply was kept
        assert len(env.uf.es.streams) == 2
        assert env.uf.es.streams[1][-1].command.id == 1


async def test_fail_032_an_unset_out_message_is_reported_with_the_outstanding_command() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        code, _ = await failure(env.do(DO, "e1", "unset"))
        assert code == grpc.StatusCode.INTERNAL
        await wait_until(lambda: env.uf.discovery.reported("with no message set while command 2 (Do) is outstanding"))
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"


async def test_a_second_reply_is_a_violation_and_the_entity_restarts() -> None:
    async with running() as env:
        assert (await env.do(DO, "e1", "emit:A;twice")).value == "A"
        await wait_until(lambda: env.uf.discovery.reported("while no command is outstanding"))
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"
        assert len(env.uf.es.streams) == 2


async def test_a_reply_before_any_command_is_a_violation() -> None:
    async with running() as env:
        code, _ = await failure(env.do(DO, "eager", "emit:A"))
        assert code == grpc.StatusCode.INTERNAL
        await wait_until(lambda: env.uf.discovery.reported("protocol violation"))
        assert (await env.do(DO, "eager", "emit:B")).value == "B"


async def test_fail_036_a_violation_does_not_disturb_other_entities() -> None:
    async with running() as env:
        await env.do(DO, "other", "emit:O")
        await failure(env.do(DO, "e1", "wrongid"))
        assert (await env.do(DO, "other", "emit:P")).value == "OP"
        assert len(env.uf.es.entity_streams("other")) == 1


async def test_fail_027_no_reply_within_the_relay_timeout_is_deadline_exceeded_and_a_new_stream() -> None:
    async with running(relay_timeout=0.2, shutdown_grace=0.2) as env:
        code, details = await failure(env.do(DO, "e1", "sleep:3;emit:X"))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        assert ES in details
        assert "e1" in details
        assert (await env.do(DO, "e1", "emit:A")).value == "A"
        assert len(env.uf.es.entity_streams("e1")) == 2


async def test_es_071_a_failed_journal_write_is_unavailable_releases_nothing_and_reloads() -> None:
    store = FlakyStore()
    async with running(store=store) as env:
        await env.do(DO, "e1", "emit:A")
        store.faults.failing = {"append"}
        code, details = await failure(env.do(DO, "e1", "emit:X;synceffect:cstest.Act/Unary/a"))
        assert code == grpc.StatusCode.UNAVAILABLE
        assert "injected failure of append" in details
        assert env.uf.actions.commands == []  # the side effect never ran
        store.faults.failing = set()
        assert (await env.do(DO, "e1", "emit:B")).value == "AB"  # reloaded: X is gone
        assert len(env.uf.es.streams) == 2


async def test_es_072_a_concurrent_writer_makes_the_command_aborted() -> None:
    async with running() as env:
        await env.do(DO, "e1", "emit:A")
        await env.store.journal.append("es", "e1", 1, [env.uf.es.streams[0][1].command.payload])  # someone else
        code, _ = await failure(env.do(DO, "e1", "emit:X"))
        assert code == grpc.StatusCode.ABORTED
        await env.do(DO, "e1", "emit:B")
        assert len(env.uf.es.streams) == 2


async def test_es_074_an_unreadable_journal_fails_waiting_commands_and_is_retried() -> None:
    store = FlakyStore()
    store.faults.failing = {"recover"}
    async with running(store=store) as env:
        results = await asyncio.gather(*(failure(env.do(DO, "e1", "emit:X")) for _ in range(3)))
        assert {code for code, _ in results} == {grpc.StatusCode.UNAVAILABLE}
        assert env.uf.es.streams == []
        store.faults.failing = set()
        assert (await env.do(DO, "e1", "emit:A")).value == "A"
