"""A user function that dies in the middle of a command, and comes back (spec/06-failures.md, spec/01-transport.md).

The command in flight was sent on a stream that then broke: a crash of that
entity, INTERNAL (TRN-032, FAIL-019), as are the commands queued behind it.
While nothing listens, calls fail fast with UNAVAILABLE (TRN-037) and the proxy
stays up. Once the user function is back, every entity is served again, loaded
from the store (TRN-036), and nothing of the dying command was stored.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from e2e_carts import ES_CART, Carts, Gate, e2e_user_function
from e2e_harness import grpc_failure, serving, unless_unavailable, until


async def test_a_user_function_dying_mid_command_fails_that_entity_and_comes_back(
    store_url: str, tmp_path: Path
) -> None:
    gate = Gate(tmp_path, "dying")
    with e2e_user_function(tmp_path) as user_function:
        async with serving(user_function.port, store_url) as served:
            carts = Carts(served)
            await carts.add("u1", "p1")
            await carts.add("u2", "p1")
            in_flight = asyncio.ensure_future(carts.add("u1", gate.product_id))
            await gate.reached()
            queued = asyncio.ensure_future(carts.get("u1"))
            await served.received(ES_CART, "GetCart", 1)

            await user_function.kill()
            for call in (in_flight, queued):
                code, details = await grpc_failure(call)
                assert code == grpc.StatusCode.INTERNAL, details
                assert all(part in details for part in (ES_CART, "'u1'", "connection")), details

            # Nothing listens now: other entities fail fast with UNAVAILABLE, over gRPC and HTTP; the proxy is up.
            code, details = await grpc_failure(carts.get("u2"))
            assert code == grpc.StatusCode.UNAVAILABLE
            assert all(part in details for part in (ES_CART, "'u2'", "user function cannot be reached")), details
            answer = await served.request("GET", "/carts/u3")
            assert (answer.status, answer.json()["code"]) == (503, grpc.StatusCode.UNAVAILABLE.value[0])
            # Alive and ready: readiness is about the proxy and its store (TRN-017), not the user function.
            assert (await served.probe("/alive"), await served.probe("/ready")) == (200, 200)
            assert await carts.stored("u1") == ["p1"]

            user_function.start()  # the same port, a fresh process that knows no entity

            async def answers() -> bool:
                return await unless_unavailable(carts.get("u1")) == [("p1", 1)]

            await until(answers, "the proxy serves u1 again, replayed from the store")
            await carts.add("u1", "p2")
            assert await carts.get("u1") == [("p1", 1), ("p2", 1)]
            assert await carts.get("u2") == [("p1", 1)]
            assert await carts.stored("u1") == ["p1", "p2"]
