"""Actions in all four call shapes (spec/11-actions.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from fake_protos import ACT, Cmd
from proxy_harness import failure, running, wait_until

UNARY, IN, OUT, DUPLEX = (f"/{ACT}/{m}" for m in ("Unary", "In", "Out", "Duplex"))


async def cmds(*items: tuple[str, str]) -> AsyncIterator[object]:
    for entity_id, script in items:
        yield Cmd(id=entity_id, script=script)


async def test_act_005_unary_sends_one_command_with_everything_set() -> None:
    async with running() as env:
        assert (await env.do(UNARY, "a1", "", metadata=[("x-k", "v")])).value == "a1"
        (command,) = env.uf.actions.commands
        assert (command.service_name, command.name) == (ACT, "Unary")
        assert Cmd.FromString(command.payload.value).id == "a1"
        assert [(e.key, e.string_value) for e in command.metadata.entries if e.key == "x-k"] == [("x-k", "v")]


async def test_act_014_a_unary_response_with_nothing_completes_with_the_empty_message() -> None:
    async with running() as env:
        response = await env.do(UNARY, "a1", "nothing")
        assert response.value == ""
        assert list(response.meta) == []


async def test_act_017_an_action_failure_runs_its_side_effects() -> None:
    async with running() as env:
        code, details = await failure(env.do(UNARY, "a1", "fail:denied;synceffect:cstest.Ve/Do/v1/update:N"))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "denied")
        value = await env.store.values.get("ve", "v1")
        assert value is not None  # the synchronous effect ran before the failure was released


async def test_act_006_streamed_in_announces_then_relays_each_message() -> None:
    async with running() as env:
        response = await env.stream_unary(IN)(cmds(("x", ""), ("y", ""), ("z", "")), metadata=(("x-k", "v"),))
        assert response.value == "x+y+z"
        first, *rest = env.uf.actions.commands
        assert (first.service_name, first.name, first.HasField("payload")) == (ACT, "In", False)
        assert "x-k" in [e.key for e in first.metadata.entries]
        assert all(not c.service_name and not c.name and not c.HasField("metadata") for c in rest)
        assert [Cmd.FromString(c.payload.value).id for c in rest] == ["x", "y", "z"]


async def test_act_008_streamed_in_without_messages_still_announces_and_answers() -> None:
    async with running() as env:
        assert (await env.stream_unary(IN)(cmds())).value == ""
        assert len(env.uf.actions.commands) == 1


async def test_act_022_an_early_answer_completes_the_streamed_in_call() -> None:
    async with running() as env:
        response = await env.stream_unary(IN)(cmds(("x", ""), ("y", "early"), ("z", "")))
        assert response.value == "x+y"


async def test_act_015_streamed_out_emits_replies_and_skips_empty_responses() -> None:
    async with running() as env:
        call = env.unary_stream(OUT)(Cmd(id="o", script="item:1;nothing;item:2;forward:cstest.Act/Unary/fwd"))
        assert [r.value async for r in call] == ["1", "2", "fwd"]


async def test_act_028_a_failure_ends_the_stream_after_the_earlier_messages_and_cancels_the_call() -> None:
    async with running() as env:
        call = env.unary_stream(OUT)(Cmd(id="o", script="item:1;fail:stop here;hang"))
        received: list[str] = []
        code, details = await failure(_collect(call, received))
        assert received == ["1"]
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "stop here")
        await wait_until(lambda: env.uf.actions.cancelled == 1)


async def test_act_033_a_client_that_goes_away_cancels_the_action_call() -> None:
    async with running() as env:
        call = env.unary_stream(OUT)(Cmd(id="o", script="item:1;hang"))
        assert (await call.read()).value == "1"
        call.cancel()
        await wait_until(lambda: env.uf.actions.cancelled == 1)


async def test_act_024_duplex_answers_each_message_in_order() -> None:
    async with running() as env:
        call = env.stream_stream(DUPLEX)(cmds(("a", ""), ("b", "nothing"), ("c", "")))
        assert [r.value async for r in call] == ["a", "c"]
        first = env.uf.actions.commands[0]
        assert (first.name, first.HasField("payload")) == ("Duplex", False)


async def test_act_031_duplex_completed_by_the_user_function_ends_the_client_call() -> None:
    async with running() as env:
        call = env.stream_stream(DUPLEX)(cmds(("a", ""), ("b", "stop"), ("c", "")))
        assert [r.value async for r in call] == ["a", "b"]


async def test_act_035_an_action_call_ending_in_error_is_internal() -> None:
    async with running() as env:
        code, details = await failure(env.do(UNARY, "a1", "abort:handler broke"))
        assert code == grpc.StatusCode.INTERNAL
        assert f"{ACT}.Unary" in details
        assert "handler broke" in details


async def test_fail_029_an_action_that_does_not_answer_in_time_is_deadline_exceeded() -> None:
    async with running(relay_timeout=0.2) as env:
        code, _ = await failure(env.do(UNARY, "a1", "sleep:2"))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED


async def _collect(call: AsyncIterator[object], into: list[str]) -> None:
    async for response in call:
        into.append(response.value)  # type: ignore[attr-defined]


async def test_fail_029_a_streamed_in_call_without_an_answer_after_the_half_close_times_out() -> None:
    async with running(relay_timeout=0.3) as env:
        code, _ = await failure(env.stream_unary(IN)(cmds(("x", "sleep:5"))))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
