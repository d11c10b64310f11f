"""The reference SDK's CRDT TCK model behind the proxy (memory store): every type, streamed calls, deletes."""

from __future__ import annotations

import json

import aiohttp
import grpc
import pytest
from cloudstate.tck.model import crdt_pb2 as pb
from tck_client import MODEL, add, eventually, inc, needs_sdk, proxy_client, tck_model, upd

pytestmark = needs_sdk
model_port = pytest.fixture(tck_model, scope="module", name="model_port")

NESTED = pb.Update(gcounter=pb.GCounterUpdate(increment=2))
UPDATES = {
    "GCounter": upd(gcounter=pb.GCounterUpdate(increment=3)),
    "PNCounter": inc(-2),
    "GSet": upd(gset=pb.GSetUpdate(add="a")),
    "ORSet": add("a"),
    "LWWRegister": upd(lwwregister=pb.LWWRegisterUpdate(value="v")),
    "Flag": upd(flag=pb.FlagUpdate()),
    "ORMap": upd(ormap=pb.ORMapUpdate(update=pb.ORMapEntryUpdate(key="GCounter-k", update=NESTED))),
    "Vote": upd(vote=pb.VoteUpdate(self_vote=True)),
}


@pytest.mark.parametrize("kind", sorted(UPDATES))
async def test_every_type_is_updated_passivated_and_comes_back_from_its_init_delta(model_port: int, kind: str) -> None:
    async with proxy_client(model_port, crdt_passivation_timeout=0.1) as client:
        entity = f"{kind}-1"
        before = await client.process(entity, UPDATES[kind])
        assert before.WhichOneof("value") == kind.lower()

        async def passivated() -> bool:
            return client.engine.active == 0

        await eventually(passivated)
        assert await client.process(entity) == before  # rebuilt by the SDK from CrdtInit.delta alone


async def test_a_streamed_call_over_grpc_follows_changes_and_its_cancellation_updates_the_entity(
    model_port: int,
) -> None:
    async with proxy_client(model_port) as client:
        cancel = pb.Update(pncounter=pb.PNCounterUpdate(change=10))
        call = client.streamed(pb.StreamedRequest(id="PNCounter-s", cancel_update=cancel))
        assert (await call.read()).state.pncounter.value == 0
        await client.process("PNCounter-s", inc(1))
        assert (await call.read()).state.pncounter.value == 1
        call.cancel()

        async def cancelled() -> bool:
            return (await client.process("PNCounter-s")).pncounter.value == 11

        await eventually(cancelled)


async def test_a_streamed_call_ends_when_the_model_ends_it(model_port: int) -> None:
    async with proxy_client(model_port) as client:
        end = pb.State(gcounter=pb.GCounterValue(value=5))
        call = client.streamed(pb.StreamedRequest(id="GCounter-e", end_state=end))
        assert (await call.read()).state.gcounter.value == 0
        await client.process("GCounter-e", upd(gcounter=pb.GCounterUpdate(increment=5)))
        assert (await call.read()).state.gcounter.value == 5
        assert await call.read() == grpc.aio.EOF
        assert await call.code() == grpc.StatusCode.OK


async def test_a_streamed_call_over_http_server_sent_events_and_its_cancellation(model_port: int) -> None:
    async with proxy_client(model_port) as client, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{client.port}"
        body = {"id": "GCounter-h", "cancelUpdate": {"gcounter": {"increment": "5"}}}
        response = await http.post(
            f"{base}/{MODEL}/ProcessStreamed", json=body, headers={"Accept": "text/event-stream"}
        )
        assert response.status == 200
        first = await response.content.readuntil(b"\n\n")
        assert json.loads(first.removeprefix(b"data: ")) == {"state": {"gcounter": {}}}  # zero is omitted
        update = {"actions": [{"update": {"gcounter": {"increment": "2"}}}]}
        async with http.post(f"{base}/tck/model/crdt/GCounter-h", json=update) as answer:
            assert (await answer.json())["state"]["gcounter"]["value"] == "2"
        second = await response.content.readuntil(b"\n\n")
        assert json.loads(second.removeprefix(b"data: ")) == {"state": {"gcounter": {"value": "2"}}}
        response.close()  # the client leaves: the model applies its cancel update

        async def cancelled() -> bool:
            return (await client.process("GCounter-h")).gcounter.value == 7

        await eventually(cancelled)


async def test_a_deleted_entity_is_not_found_over_grpc_and_http(model_port: int) -> None:
    async with proxy_client(model_port) as client:
        await client.process("ORSet-d", add("x"))
        await client.process("ORSet-d", pb.RequestAction(delete=pb.Delete()))
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await client.process("ORSet-d")
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{client.port}/tck/model/crdt/ORSet-d", json={}) as response,
        ):
            assert response.status == 404
            assert (await response.json())["code"] == grpc.StatusCode.NOT_FOUND.value[0]


async def test_forwards_effects_failures_and_write_consistency(model_port: int) -> None:
    async with proxy_client(model_port) as client:
        effect = pb.RequestAction(effect=pb.Effect(id="other", synchronous=True))
        assert (await client.process("PNCounter-f", inc(4, pb.ALL), effect)).pncounter.value == 4
        forwarded = await client.process(
            "PNCounter-f", inc(1, pb.MAJORITY), pb.RequestAction(forward=pb.Forward(id="x"))
        )
        assert forwarded == pb.State()  # CrdtTwo's empty answer
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await client.process("PNCounter-f", inc(100), pb.RequestAction(fail=pb.Fail(message="nope")))
        assert (failed.value.code(), failed.value.details()) == (grpc.StatusCode.UNKNOWN, "nope")
        assert (await client.process("PNCounter-f")).pncounter.value == 5
