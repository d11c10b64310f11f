"""Nothing acknowledged is lost: across a graceful restart of the proxy, and a crash of the user function.

The proxy restart runs the real program (``python -m cloudstate_proxy``) on a
PostgreSQL database, stops it with SIGTERM while writes are still arriving, and
reads everything back through a new proxy process on the same database (the
in-memory store cannot outlive its process). The user function restart runs
with both stores: the proxy reloads every entity from the store into the new
process.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING

import aiohttp
import grpc
import pytest
from cloudstate_proxy.testing import ProxyProcess, UserFunctionProcess
from e2e_carts import EXAMPLE_CARTS, CartApi
from e2e_harness import Client, client, serving, until

if TYPE_CHECKING:  # for the fixture's type only; pytest loads conftest itself
    from conftest import Examples

CARTS = ("c0", "c1", "c2")


@pytest.mark.parametrize("api", EXAMPLE_CARTS, ids=lambda api: api.example)
async def test_acknowledged_writes_survive_a_graceful_proxy_restart(
    examples: Examples, postgres_dsn: str, api: CartApi
) -> None:
    port = examples.port(api.example)
    acknowledged: dict[str, list[str]] = {cart: [] for cart in CARTS}

    async def writer(served: Client, cart: str) -> BaseException:
        """Add products to one cart, one after the other, until the proxy refuses or goes away."""
        for n in itertools.count():
            try:
                await api.add(served, cart, f"p{n}", over_http=n % 2 == 0)
            except (grpc.aio.AioRpcError, aiohttp.ClientError, AssertionError) as stopped:
                return stopped
            acknowledged[cart].append(f"p{n}")
        raise AssertionError("unreachable")

    with ProxyProcess(port, store=postgres_dsn, SHUTDOWN_GRACE="5s") as first:
        first.start()
        await first.wait_ready()
        async with client(first.http_port) as served:
            writers = [asyncio.ensure_future(writer(served, cart)) for cart in CARTS]

            async def written() -> bool:
                return all(len(products) >= 3 for products in acknowledged.values())

            await until(written, "writes acknowledged on every cart")
            assert await first.stop() == 0  # SIGTERM while every writer is still writing
            endings = await asyncio.gather(*writers)
    for ending in endings:  # refused during the shutdown, or cut off when the proxy was gone
        if isinstance(ending, grpc.aio.AioRpcError):
            # CANCELLED: a call that reached the gRPC server just as it stopped, which grpc core cancels itself
            # (a known gap: the spec wants UNAVAILABLE there too; see the proxy README).
            assert ending.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), ending
        elif isinstance(ending, AssertionError):
            assert '"code":14' in str(ending), ending

    with ProxyProcess(port, store=postgres_dsn) as second:
        second.start()
        await second.wait_ready()
        async with client(second.http_port) as served:
            for cart in CARTS:
                stored = await api.products(served, cart)
                # Every acknowledged write is there, in order; at most the one write that was cut off after it
                # had been stored (its client could not be told) comes on top.
                assert stored[: len(acknowledged[cart])] == acknowledged[cart]
                assert len(stored) - len(acknowledged[cart]) in (0, 1)
        assert await second.stop() == 0


@pytest.mark.parametrize("api", EXAMPLE_CARTS, ids=lambda api: api.example)
async def test_acknowledged_writes_survive_a_user_function_restart(store_url: str, api: CartApi) -> None:
    with UserFunctionProcess(f"cloudstate_examples.{api.example}") as user_function:
        user_function.start()
        async with serving(user_function.port, store_url) as served:
            for n in range(6):
                await api.add(served, CARTS[n % 3], f"p{n}", over_http=n % 2 == 0)
            before = {cart: await api.products(served, cart) for cart in CARTS}
            assert before == {"c0": ["p0", "p3"], "c1": ["p1", "p4"], "c2": ["p2", "p5"]}

            await user_function.kill()  # every entity stream breaks; the new process knows no entity
            user_function.start()
            await user_function.wait_listening()

            async def answers() -> bool:
                answer = await api.read(served, "c0")  # 503 (UNAVAILABLE) until the proxy has reconnected
                assert answer.status in (200, 503), answer.text
                return answer.status == 200 and await api.products(served, "c0") == before["c0"]

            await until(answers, "the proxy serves the carts again")
            assert {cart: await api.products(served, cart) for cart in CARTS} == before
            await api.add(served, "c0", "p6", over_http=False)
            assert await api.products(served, "c0") == ["p0", "p3", "p6"]
