"""A user function for the end-to-end tests, built with the reference SDK: ``python e2e_user_function.py``.

It serves, on HOST:PORT:

- the example shopping cart's service (``com.example.shoppingcart.ShoppingCart``, same persistence id and
  handlers), except that ``AddItem`` with a product id ``wait:<gate>`` first creates the file
  ``$E2E_GATES/<gate>.started`` and then waits until the file ``$E2E_GATES/<gate>`` exists. A test so holds a
  command in flight for as long as it likes, knows when it is in flight, and releases it, without any timing;
- the event-sourced and value-entity TCK model services, whose methods without an HTTP rule get the proxy's
  default route (the shopping cart has a rule on every method).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path

from cloudstate_examples.shoppingcart import domain_pb2 as domain
from cloudstate_examples.shoppingcart import shoppingcart_pb2 as api
from cloudstate_sdk import EventSourcedContext, EventSourcedEntity, serve
from cloudstate_sdk.tck_model import eventsourced, valueentity
from google.protobuf.empty_pb2 import Empty

# The module of the example's handlers (the package exports the entity under the same name, ``cart``).
example = importlib.import_module("cloudstate_examples.shoppingcart.cart")
GATES = Path(os.environ.get("E2E_GATES", "."))
WAIT = "wait:"

cart = EventSourcedEntity(
    api.DESCRIPTOR.services_by_name["ShoppingCart"], persistence_id="shopping-cart", initial_state=domain.CartState
)
cart.command("RemoveItem")(example.remove_item)
cart.command("GetCart")(example.get_cart)
cart.event(example.item_added)
cart.event(example.item_removed)


@cart.command("AddItem")
async def add_item(state: domain.CartState, item: api.AddLineItem, ctx: EventSourcedContext) -> Empty:
    if item.product_id.startswith(WAIT):
        name = item.product_id.removeprefix(WAIT)
        (GATES / f"{name}.started").touch()
        while not (GATES / name).exists():
            await asyncio.sleep(0.01)
    added: Empty = example.add_item(state, item, ctx)
    return added


if __name__ == "__main__":
    serve([cart, *eventsourced.entities, *valueentity.entities], service_name="e2e-user-function")
