"""Many entities at once, and one slow entity that holds up nobody but itself (spec/05-commands.md).

Commands of one entity run one at a time, in the order they arrived; commands
of different entities run independently. Nothing here measures time: a slow
command is held at a gate of ``e2e_user_function.py`` until the test opens it,
and the assertions are about which calls have completed, and in which order.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from e2e_carts import ES_CART, Carts, Gate, e2e_user_function
from e2e_harness import serving

if TYPE_CHECKING:  # for the fixture's type only; pytest loads conftest itself
    from conftest import Examples


async def test_one_slow_entity_never_blocks_another(store_url: str, tmp_path: Path) -> None:
    gate = Gate(tmp_path, "slow")
    with e2e_user_function(tmp_path) as user_function:
        async with serving(user_function.port, store_url) as served:
            carts = Carts(served)
            slow = asyncio.ensure_future(carts.add("slow", gate.product_id))
            await gate.reached()
            behind = [asyncio.ensure_future(carts.add("slow", "after")), asyncio.ensure_future(carts.get("slow"))]
            await served.received(ES_CART, "GetCart", 1)

            # While "slow" is stuck, twenty other carts take three commands each, over gRPC and HTTP.
            async def busy(cart: str) -> list[tuple[str, int]]:
                await carts.add(cart, "a")
                answer = await served.request("POST", f"/cart/{cart}/items/add", json={"productId": "b", "quantity": 1})
                assert answer.status == 200, answer.text
                return await carts.get(cart)

            others = await asyncio.gather(*(busy(f"other-{n}") for n in range(20)))
            assert others == [[("a", 1), ("b", 1)]] * 20
            assert not slow.done()
            assert not any(call.done() for call in behind)

            gate.open()
            await slow
            await behind[0]
            # The read was queued behind both writes of its entity, and sees them, in order.
            assert await behind[1] == [(gate.product_id, 1), ("after", 1)]
            assert await carts.stored("slow") == [gate.product_id, "after"]


async def test_many_entities_in_parallel_keep_each_entity_in_order(examples: Examples, store_url: str) -> None:
    async with serving(examples.port("shoppingcart"), store_url) as served:
        carts = Carts(served)

        async def fill(cart: str) -> None:
            for n in range(5):  # one after the other: each cart's order is the order of its products
                await carts.add(cart, f"p{n}")

        names = [f"cart-{n}" for n in range(30)]
        await asyncio.gather(*(fill(name) for name in names))
        # And many concurrent commands on one entity: serialised, none lost, the journal without gaps.
        await asyncio.gather(*(carts.add("shared", "same", quantity=1) for _ in range(25)))

        expected = [(f"p{n}", 1) for n in range(5)]
        assert await asyncio.gather(*(carts.get(name) for name in names)) == [expected] * len(names)
        assert await carts.get("shared") == [("same", 25)]
        for name in names:
            assert await carts.stored(name) == [p for p, _ in expected]
        journal = await served.store.journal.events_by_persistence_id("shopping-cart", 0, 1000)
        assert [t.event.sequence for t in journal if t.entity_id == "shared"] == list(range(1, 26))
        recovery = await served.store.journal.recover("shopping-cart", "shared")  # the example snapshots every 20
        assert recovery.snapshot is not None
        assert (recovery.snapshot.sequence, [e.sequence for e in recovery.events]) == (20, [21, 22, 23, 24, 25])
