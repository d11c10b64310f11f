"""The one request mix every scenario sends, so that the figures compare like with like.

Each call is the shopping cart's ``AddItem`` for one of ``entities`` carts,
taken round-robin: with far more carts than calls in flight, no two calls
wait on the same entity, and every cart keeps the same single line item, so
the entity state (and the snapshot every 20 events) does not grow with the
run. The bodies are serialized once, up front: the load generator sends raw
bytes and does no protobuf work per call.
"""

from __future__ import annotations

SERVICE = "com.example.shoppingcart.ShoppingCart"
METHOD_NAME = "AddItem"
METHOD = f"/{SERVICE}/{METHOD_NAME}"


def request_bodies(entities: int) -> list[bytes]:
    """One serialized ``AddLineItem`` per cart id."""
    from cloudstate_examples.shoppingcart import shoppingcart_pb2 as cart

    return [
        cart.AddLineItem(user_id=f"bench-cart-{i:05d}", product_id="p1", name="Pen", quantity=1).SerializeToString()
        for i in range(entities)
    ]
