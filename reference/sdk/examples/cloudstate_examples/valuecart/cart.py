"""The value-entity shopping cart's handlers.

The state is a ``CartState`` message, replaced as a whole by every change.
"""

from __future__ import annotations

from cloudstate_sdk import ValueEntity, ValueEntityContext
from google.protobuf.empty_pb2 import Empty

from cloudstate_examples.valuecart import domain_pb2 as domain
from cloudstate_examples.valuecart import valuecart_pb2 as api

cart = ValueEntity(
    api.DESCRIPTOR.services_by_name["ShoppingCart"],
    persistence_id="value-shopping-cart",
    initial_state=domain.CartState,
)


@cart.command("AddItem")
def add_item(state: domain.CartState, item: api.AddLineItem, ctx: ValueEntityContext) -> Empty:
    if item.quantity <= 0:
        ctx.fail(f"Cannot add a negative quantity of {item.product_id}.")
    new_state = domain.CartState()
    new_state.CopyFrom(state)
    for line in new_state.items:
        if line.product_id == item.product_id:
            line.quantity += item.quantity
            break
    else:
        new_state.items.add(product_id=item.product_id, name=item.name, quantity=item.quantity)
    ctx.update_state(new_state)
    return Empty()


@cart.command("RemoveItem")
def remove_item(state: domain.CartState, item: api.RemoveLineItem, ctx: ValueEntityContext) -> Empty:
    kept = [line for line in state.items if line.product_id != item.product_id]
    if len(kept) == len(state.items):
        ctx.fail(f"Cannot remove item {item.product_id} because it is not in the cart.")
    ctx.update_state(domain.CartState(items=kept))
    return Empty()


@cart.command("GetCart")
def get_cart(state: domain.CartState, request: api.GetShoppingCart, ctx: ValueEntityContext) -> api.Cart:
    return api.Cart(
        items=[api.LineItem(product_id=i.product_id, name=i.name, quantity=i.quantity) for i in state.items]
    )


@cart.command("RemoveCart")
def remove_cart(state: domain.CartState, request: api.RemoveShoppingCart, ctx: ValueEntityContext) -> Empty:
    ctx.delete_state()
    return Empty()
