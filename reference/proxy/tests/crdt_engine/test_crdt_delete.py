"""Deleting a CRDT entity: tombstones, the requesting stream, other streams, commands after the delete."""

from __future__ import annotations

import asyncio

import grpc
from cloudstate_proxy.crdt import Tombstone
from crdt_harness import PID, deletion, failure, gcounter, running, update, wait_until


async def test_crdt_038_the_requesting_stream_gets_no_delete_and_is_completed() -> None:
    async with running() as env:
        await env.do("d", update(gcounter(2)))
        assert (await env.do("d", deletion())).value == "2"
        (stream,) = env.streams("d")
        await wait_until(lambda: stream.completed)
        assert "delete" not in stream.kinds()  # the proxy never echoes the user function's own delete
        stored = await env.store.crdts.load(PID, "d")
        assert stored is not None
        assert isinstance(stored.state, Tombstone)  # CRDT-033
        code, details = await failure(env.do("d"))
        assert code == grpc.StatusCode.NOT_FOUND  # CRDT-036
        assert "'d'" in details
        assert len(env.streams("d")) == 1  # no stream was opened for it


async def test_crdt_039_a_delete_from_elsewhere_waits_for_the_turn_then_deletes_and_completes() -> None:
    async with running() as env:
        await env.do("r", update(gcounter(1)))
        reading = asyncio.ensure_future(env.do("r", script="hold:read"))
        writing = asyncio.ensure_future(env.do("r", update(gcounter(1)), script="hold:write"))
        (stream,) = env.streams("r")
        await wait_until(lambda: len(stream.inbound) == 4)
        await env.remote("r", None)  # another replica deleted it
        code, _ = await failure(env.do("r"))
        assert code == grpc.StatusCode.NOT_FOUND  # new commands at once (CRDT-036)
        assert stream.kinds() == ["init", "command", "command", "command"]  # nothing while commands are out
        env.uf.gate("read").set()
        assert (await reading).value == "1"  # a reply without a state action is released normally
        env.uf.gate("write").set()
        code, _ = await failure(writing)
        assert code == grpc.StatusCode.NOT_FOUND  # CRDT-037: its state action is discarded
        await wait_until(lambda: stream.completed)
        assert stream.kinds()[-1] == "delete"


async def test_crdt_040_streamed_calls_end_with_not_found_when_the_entity_is_deleted() -> None:
    async with running() as env:
        watch = env.watch("w", update(gcounter(1), streamed=True))
        assert (await watch.read()).value == "1"
        await env.remote("w", None)
        code, _ = await failure(watch)
        assert code == grpc.StatusCode.NOT_FOUND


async def test_crdt_042_deleting_an_entity_without_state_still_leaves_a_tombstone() -> None:
    async with running() as env:
        await env.do("never", deletion())
        stored = await env.store.crdts.load(PID, "never")
        assert stored is not None
        assert isinstance(stored.state, Tombstone)


async def test_crdt_034_a_tombstone_wins_over_a_concurrent_update() -> None:
    async with running() as env:
        await env.do("t", update(gcounter(1)))
        await env.remote("t", None)
        await env.remote("t", gcounter(5), replica="late")  # ignored: the tombstone absorbs it
        stored = await env.store.crdts.load(PID, "t")
        assert stored is not None
        assert isinstance(stored.state, Tombstone)
