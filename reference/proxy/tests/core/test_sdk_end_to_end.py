"""End to end: the reference SDK's TCK model and shopping cart as real user functions behind the proxy.

The SDK runs as a subprocess (``python -m ...``), exactly as it would in a
pod; the proxy runs in-process. Skipped when the SDK is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import sys
from collections.abc import AsyncIterator

import aiohttp
import grpc
import pytest
from cloudstate_proxy import Proxy
from cloudstate_proxy.stores.memory import MemoryStore
from proxy_harness import free_port, settings

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_sdk") is None or importlib.util.find_spec("cloudstate_examples") is None,
    reason="the reference SDK (reference/sdk) is not installed",
)


@contextlib.asynccontextmanager
async def behind_proxy(*argv: str) -> AsyncIterator[tuple[Proxy, grpc.aio.Channel]]:
    """Run ``python <argv>`` as the user function and a proxy in front of it."""
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    user_function = await asyncio.create_subprocess_exec(sys.executable, *argv, env=env)
    proxy = Proxy(settings(port, discovery_backoff_min=0.05, discovery_backoff_max=0.2), store=MemoryStore())
    await proxy.start()
    try:
        await asyncio.wait_for(proxy.wait_started(), 60)
        assert proxy.serving is not None, proxy.discovery_error
        async with grpc.aio.insecure_channel(f"127.0.0.1:{proxy.serving.http_port}") as channel:
            yield proxy, channel
    finally:
        await proxy.stop()
        user_function.terminate()
        await user_function.wait()


async def test_tck_model_event_sourced_and_value_entity_through_the_proxy() -> None:
    from cloudstate.tck.model import eventsourced_pb2 as es
    from cloudstate.tck.model import valueentity_pb2 as ve

    async with behind_proxy("-m", "cloudstate_sdk.tck_model") as (_, channel):
        process = channel.unary_unary(
            "/cloudstate.tck.model.EventSourcedTckModel/Process",
            es.Request.SerializeToString,
            es.Response.FromString,
        )
        emit = [es.RequestAction(emit=es.Emit(value=v)) for v in "AB"]
        assert (await process(es.Request(id="e1", actions=emit))).message == "AB"
        assert (await process(es.Request(id="e1", actions=emit[:1]))).message == "ABA"
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await process(es.Request(id="e1", actions=[es.RequestAction(fail=es.Fail(message="no"))]))
        assert (failed.value.code(), failed.value.details()) == (grpc.StatusCode.UNKNOWN, "no")

        value = channel.unary_unary(
            "/cloudstate.tck.model.valueentity.ValueEntityTckModel/Process",
            ve.Request.SerializeToString,
            ve.Response.FromString,
        )
        update = ve.RequestAction(update=ve.Update(value="one"))
        assert (await value(ve.Request(id="v1", actions=[update]))).message == "one"
        assert (await value(ve.Request(id="v1"))).message == "one"


async def test_shopping_cart_over_grpc_and_http_json() -> None:
    from cloudstate_examples.shoppingcart import shoppingcart_pb2 as cart

    async with behind_proxy("-m", "cloudstate_examples.shoppingcart") as (proxy, channel):
        add = channel.unary_unary(
            "/com.example.shoppingcart.ShoppingCart/AddItem", cart.AddLineItem.SerializeToString, lambda b: b
        )
        await add(cart.AddLineItem(user_id="u1", product_id="p1", name="Pen", quantity=2))
        assert proxy.serving is not None
        base = f"http://127.0.0.1:{proxy.serving.http_port}"
        async with aiohttp.ClientSession() as http:
            item = {"productId": "p2", "name": "Ink", "quantity": 1}
            async with http.post(f"{base}/cart/u1/items/add", json=item) as response:
                assert response.status == 200
            async with http.get(f"{base}/carts/u1") as response:
                body = await response.json()
        assert [(i["productId"], i["quantity"]) for i in body["items"]] == [("p1", 2), ("p2", 1)]
