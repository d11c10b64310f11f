"""The shopping cart's handlers.

The state is a ``CartState`` message. Commands check the request and emit
events; only the event handlers change the state, so replaying the events
rebuilds the same cart.
"""

from __future__ import annotations

from cloudstate_sdk import EventSourcedContext, EventSourcedEntity
from google.protobuf.empty_pb2 import Empty

from cloudstate_examples.shoppingcart import domain_pb2 as domain
from cloudstate_examples.shoppingcart import shoppingcart_pb2 as api

cart = EventSourcedEntity(
    api.DESCRIPTOR.services_by_name["ShoppingCart"],
    persistence_id="shopping-cart",
    snapshot_every=20,
    initial_state=domain.CartState,
)


@cart.command("AddItem")
def add_item(state: domain.CartState, item: api.AddLineItem, ctx: EventSourcedContext) -> Empty:
    if item.quantity <= 0:
        ctx.fail(f"Cannot add a negative quantity of {item.product_id}.")
    line = domain.LineItem(product_id=item.product_id, name=item.name, quantity=item.quantity)
    ctx.emit(domain.ItemAdded(item=line))
    return Empty()


@cart.command("RemoveItem")
def remove_item(state: domain.CartState, item: api.RemoveLineItem, ctx: EventSourcedContext) -> Empty:
    if not any(line.product_id == item.product_id for line in state.items):
        ctx.fail(f"Cannot remove item {item.product_id} because it is not in the cart.")
    ctx.emit(domain.ItemRemoved(product_id=item.product_id))
    return Empty()


@cart.command("GetCart")
def get_cart(state: domain.CartState, request: api.GetShoppingCart, ctx: EventSourcedContext) -> api.Cart:
    return api.Cart(
        items=[api.LineItem(product_id=i.product_id, name=i.name, quantity=i.quantity) for i in state.items]
    )


@cart.event
def item_added(state: domain.CartState, event: domain.ItemAdded) -> domain.CartState:
    for line in state.items:
        if line.product_id == event.item.product_id:
            line.quantity += event.item.quantity
            return state
    state.items.append(event.item)
    return state


@cart.event
def item_removed(state: domain.CartState, event: domain.ItemRemoved) -> domain.CartState:
    kept = [line for line in state.items if line.product_id != event.product_id]
    return domain.CartState(items=kept)


# The state is a message already, so the default snapshot (the state itself)
# would do; these two spell it out.
@cart.snapshot
def snapshot(state: domain.CartState) -> domain.CartState:
    return state


@cart.snapshot_handler
def restore(snapshot: domain.CartState) -> domain.CartState:
    return snapshot
