"""The example carts' calls, and the gated user function of the end-to-end tests.

:class:`Carts` calls the event-sourced cart over gRPC and reads its journal;
:class:`CartApi` adds to and reads either example cart (event-sourced or value
entity) over gRPC or HTTP/JSON. :func:`e2e_user_function` runs
``e2e_user_function.py``, whose :class:`Gate` holds a command in flight until
the test lets it go.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from cloudstate_examples.shoppingcart import domain_pb2 as es_domain
from cloudstate_examples.shoppingcart import shoppingcart_pb2 as es_cart
from cloudstate_examples.valuecart import valuecart_pb2 as ve_cart
from cloudstate_proxy.testing import UserFunctionProcess
from e2e_harness import Client, HttpAnswer, Served, stored_events, until
from google.protobuf.empty_pb2 import Empty

__all__ = ["ES_CART", "EXAMPLE_CARTS", "VE_CART", "CartApi", "Carts", "Gate", "e2e_user_function"]

E2E_USER_FUNCTION = Path(__file__).with_name("e2e_user_function.py")
ES_CART = "com.example.shoppingcart.ShoppingCart"
VE_CART = "com.example.valuecart.ShoppingCart"


class Carts:
    """The event-sourced cart over gRPC (the example's service, or the same one in ``e2e_user_function.py``)."""

    def __init__(self, served: Served) -> None:
        self.served = served

    async def add(self, cart: str, product: str, quantity: int = 1) -> None:
        item = es_cart.AddLineItem(user_id=cart, product_id=product, name=product.upper(), quantity=quantity)
        await self.served.call(f"/{ES_CART}/AddItem", item, Empty)

    async def get(self, cart: str) -> list[tuple[str, int]]:
        answer = await self.served.call(f"/{ES_CART}/GetCart", es_cart.GetShoppingCart(user_id=cart), es_cart.Cart)
        return [(item.product_id, item.quantity) for item in answer.items]

    async def stored(self, cart: str) -> list[str]:
        """The product ids of the cart's ItemAdded events, read straight from the store."""
        events = await stored_events(self.served.store, "shopping-cart", cart, es_domain.ItemAdded)
        return [event.item.product_id for event in events]


@dataclasses.dataclass(frozen=True)
class CartApi:
    """One example cart (``shoppingcart`` or ``valuecart``): add a product over gRPC or HTTP, list them over HTTP."""

    example: str

    @property
    def event_sourced(self) -> bool:
        return self.example == "shoppingcart"

    @property
    def service(self) -> str:
        return ES_CART if self.event_sourced else VE_CART

    async def add(self, served: Client, cart: str, product: str, *, over_http: bool) -> None:
        if over_http:
            path = f"/cart/{cart}/items/add" if self.event_sourced else f"/valuecart/{cart}/items/add"
            answer = await served.request("POST", path, json={"productId": product, "quantity": 1})
            assert answer.status == 200, answer.text
        elif self.event_sourced:
            item = es_cart.AddLineItem(user_id=cart, product_id=product, quantity=1)
            await served.call(f"/{ES_CART}/AddItem", item, Empty)
        else:
            value_item = ve_cart.AddLineItem(cart_id=cart, product_id=product, quantity=1)
            await served.call(f"/{VE_CART}/AddItem", value_item, Empty)

    async def read(self, served: Client, cart: str) -> HttpAnswer:
        return await served.request("GET", f"/carts/{cart}" if self.event_sourced else f"/valuecarts/{cart}")

    async def products(self, served: Client, cart: str) -> list[str]:
        """The cart's product ids, each of which must have been added once."""
        answer = await self.read(served, cart)
        assert answer.status == 200, answer.text
        items = answer.json().get("items", [])
        assert all(item["quantity"] == 1 for item in items), items
        return [item["productId"] for item in items]


EXAMPLE_CARTS = [CartApi("shoppingcart"), CartApi("valuecart")]


@contextlib.contextmanager
def e2e_user_function(gates: Path) -> Iterator[UserFunctionProcess]:
    """``e2e_user_function.py`` as a subprocess (started; killed at the end), its gate files in ``gates``."""
    with UserFunctionProcess(str(E2E_USER_FUNCTION), env={"E2E_GATES": str(gates)}) as program:
        program.start()
        yield program


@dataclasses.dataclass(frozen=True)
class Gate:
    """A gate of ``e2e_user_function.py``: ``AddItem`` of product :attr:`product_id` waits until it is opened."""

    directory: Path
    name: str

    @property
    def product_id(self) -> str:
        return f"wait:{self.name}"

    async def reached(self) -> None:
        """Until a command has arrived at the gate (it is then in flight in the user function)."""
        marker = self.directory / f"{self.name}.started"
        await until(lambda: asyncio.sleep(0, marker.exists()), f"a command reaches gate {self.name}")

    def open(self) -> None:
        (self.directory / self.name).touch()
