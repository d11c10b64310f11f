"""The reference SDK's examples served by the proxy over gRPC and HTTP/JSON, with each store.

The user functions are the SDK's own example programs, run as subprocesses
(the ``examples`` fixture); the proxy runs in-process with the in-memory store
and with PostgreSQL. After the calls, the store is read directly: what the
clients were told happened is exactly what is stored, and refused commands
stored nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc
import pytest
from cloudstate_examples.greeter import greeter_pb2 as greeter
from cloudstate_examples.shoppingcart import domain_pb2 as es_domain
from cloudstate_examples.shoppingcart import shoppingcart_pb2 as es_cart
from cloudstate_examples.valuecart import domain_pb2 as ve_domain
from cloudstate_examples.valuecart import valuecart_pb2 as ve_cart
from e2e_harness import grpc_failure, serving, stored_events, stored_value
from google.protobuf.empty_pb2 import Empty
from grpc_health.v1 import health_pb2  # type: ignore[import-untyped,unused-ignore]

if TYPE_CHECKING:  # for the fixture's type only; pytest loads conftest itself
    from conftest import Examples

ES = "/com.example.shoppingcart.ShoppingCart"
VE = "/com.example.valuecart.ShoppingCart"
GREETER = "/com.example.greeter.Greeter"


def lines(cart: es_cart.Cart | ve_cart.Cart) -> list[tuple[str, int]]:
    return [(item.product_id, item.quantity) for item in cart.items]


async def test_event_sourced_cart_over_grpc_and_http(examples: Examples, store_url: str) -> None:
    async with serving(examples.port("shoppingcart"), store_url) as served:
        # gRPC and the google.api.http bindings reach the same entity.
        await served.call(
            f"{ES}/AddItem", es_cart.AddLineItem(user_id="u1", product_id="p1", name="Pen", quantity=2), Empty
        )
        added = await served.request(
            "POST", "/cart/u1/items/add", json={"productId": "p2", "name": "Ink", "quantity": 1}
        )
        assert (added.status, added.json()) == (200, {})
        body = {"productId": "p1", "name": "Pen", "quantity": 1, "userId": "ignored: the path wins"}
        assert (await served.request("POST", "/cart/u1/items/add", json=body)).status == 200
        cart = await served.call(f"{ES}/GetCart", es_cart.GetShoppingCart(user_id="u1"), es_cart.Cart)
        assert lines(cart) == [("p1", 3), ("p2", 1)]

        removed = await served.request("POST", "/cart/u1/items/p2/remove")
        assert (removed.status, removed.content_type) == (200, "application/json")
        got = await served.request("GET", "/carts/u1")
        assert got.json() == {"items": [{"productId": "p1", "name": "Pen", "quantity": 3}]}
        items = await served.request("GET", "/carts/u1/items")  # response_body: the bare list
        assert items.json() == [{"productId": "p1", "name": "Pen", "quantity": 3}]
        # A method with a google.api.http rule has no default route (HTTP-006).
        default = await served.request("POST", f"{ES}/GetCart", json={"userId": "u1"})
        assert (default.status, default.json()["code"]) == (404, grpc.StatusCode.UNIMPLEMENTED.value[0])

        # Application failures: UNKNOWN with the handler's message, 500 with the JSON status over HTTP.
        code, details = await grpc_failure(
            served.call(f"{ES}/RemoveItem", es_cart.RemoveLineItem(user_id="u1", product_id="p9"), Empty)
        )
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "Cannot remove item p9 because it is not in the cart.")
        refused = await served.request("POST", "/cart/u1/items/add", json={"productId": "p3", "quantity": -1})
        assert (refused.status, refused.content_type) == (500, "application/json")
        assert refused.json() == {"code": 2, "message": "Cannot add a negative quantity of p3.", "details": []}

        events = await stored_events(served.store, "shopping-cart", "u1", es_domain.ItemAdded, es_domain.ItemRemoved)
        assert [type(e).__name__ for e in events] == ["ItemAdded", "ItemAdded", "ItemAdded", "ItemRemoved"]
        assert [(e.item.product_id, e.item.quantity) for e in events[:3]] == [("p1", 2), ("p2", 1), ("p1", 1)]
        # Another cart is another entity: empty, and its reads stored nothing.
        assert lines(await served.call(f"{ES}/GetCart", es_cart.GetShoppingCart(user_id="u2"), es_cart.Cart)) == []
        assert await stored_events(served.store, "shopping-cart", "u2") == []


async def test_value_entity_cart_over_grpc_and_http(examples: Examples, store_url: str) -> None:
    async with serving(examples.port("valuecart"), store_url) as served:
        await served.call(
            f"{VE}/AddItem", ve_cart.AddLineItem(cart_id="c1", product_id="p1", name="Pen", quantity=2), Empty
        )
        added = await served.request("POST", "/valuecart/c1/items/add", json={"productId": "p2", "quantity": 5})
        assert (added.status, added.json()) == (200, {})
        assert (await served.request("POST", "/valuecart/c1/items/p1/remove")).status == 200
        got = await served.request("GET", "/valuecarts/c1")
        assert (got.status, got.json()) == (200, {"items": [{"productId": "p2", "quantity": 5}]})
        cart = await served.call(f"{VE}/GetCart", ve_cart.GetShoppingCart(cart_id="c1"), ve_cart.Cart)
        assert lines(cart) == [("p2", 5)]
        stored = await stored_value(served.store, "value-shopping-cart", "c1", ve_domain.CartState)
        assert stored is not None
        assert [(i.product_id, i.quantity) for i in stored.items] == [("p2", 5)]

        refused = await served.request("POST", "/valuecart/c1/items/p7/remove")
        assert refused.status == 500
        assert refused.json()["message"] == "Cannot remove item p7 because it is not in the cart."
        assert await stored_value(served.store, "value-shopping-cart", "c1", ve_domain.CartState) == stored

        # The delete: the stored value is gone, the cart reads empty.
        assert (await served.request("POST", "/valuecarts/c1/remove")).status == 200
        assert await stored_value(served.store, "value-shopping-cart", "c1", ve_domain.CartState) is None
        assert (await served.request("GET", "/valuecarts/c1")).json() == {}
        assert lines(await served.call(f"{VE}/GetCart", ve_cart.GetShoppingCart(cart_id="c1"), ve_cart.Cart)) == []


async def test_greeter_action_in_its_four_shapes_over_grpc(examples: Examples) -> None:
    async with serving(examples.port("greeter")) as served:
        hello, greeting = greeter.Hello, greeter.Greeting
        channel = served.channel
        greet = channel.unary_unary(f"{GREETER}/Greet", hello.SerializeToString, greeting.FromString)
        assert (await greet(hello(name="Ada"))).text == "Hello, Ada!"

        greet_all = channel.stream_unary(f"{GREETER}/GreetAll", hello.SerializeToString, greeting.FromString)
        assert (await greet_all(iter([hello(name="Ada"), hello(name="Bo")]))).text == "Hello, Ada, Bo!"
        code, details = await grpc_failure(greet_all(iter([])))
        assert (code, details) == (grpc.StatusCode.UNKNOWN, "Nobody to greet.")

        repeat = channel.unary_stream(f"{GREETER}/GreetRepeatedly", hello.SerializeToString, greeting.FromString)
        assert [g.text async for g in repeat(hello(name="Cy", times=3))] == ["Hello, Cy!"] * 3
        assert [g async for g in repeat(hello(name="Cy", times=0))] == []

        # Duplex: each greeting arrives before the next name is sent, so nothing is batched up.
        chat = channel.stream_stream(f"{GREETER}/Chat", hello.SerializeToString, greeting.FromString)()
        for name in ("Di", "Ed", ""):
            await chat.write(hello(name=name))
            assert (await chat.read()).text == f"Hello, {name or 'stranger'}!"
        await chat.done_writing()
        assert await chat.read() is grpc.aio.EOF
        assert await chat.code() == grpc.StatusCode.OK


async def test_greeter_action_over_http(examples: Examples) -> None:
    async with serving(examples.port("greeter")) as served:
        answer = await served.request("POST", "/greeter/greet", json={"name": "Ada"})
        assert (answer.status, answer.json()) == (200, {"text": "Hello, Ada!"})
        assert (await served.request("POST", "/greeter/greet")).json() == {"text": "Hello, stranger!"}  # no body: {}

        # GreetRepeatedly has no rule, hence the default route; server streaming answers newline-delimited
        # JSON, or Server-Sent Events when the client asks for them.
        body = {"name": "Bo", "times": 2}
        ndjson = await served.request("POST", f"{GREETER}/GreetRepeatedly", json=body)
        assert ndjson.status == 200
        assert [json.loads(line) for line in ndjson.text.splitlines()] == [{"text": "Hello, Bo!"}] * 2
        sse = await served.request(
            "POST", f"{GREETER}/GreetRepeatedly", json=body, headers={"Accept": "text/event-stream"}
        )
        assert (sse.status, sse.content_type) == (200, "text/event-stream")
        data = [line.removeprefix("data:").strip() for line in sse.text.splitlines() if line.startswith("data:")]
        assert [json.loads(d) for d in data] == [{"text": "Hello, Bo!"}] * 2

        # Client-streaming methods have no HTTP binding.
        for path in (f"{GREETER}/GreetAll", f"{GREETER}/Chat"):
            missing = await served.request("POST", path, json={"name": "Cy"})
            assert missing.status == 404
            assert "call it over gRPC" in missing.json()["message"]


@pytest.mark.parametrize("example", ["shoppingcart", "valuecart", "greeter"])
async def test_every_example_is_served_ready_and_healthy(examples: Examples, example: str) -> None:
    """Every example passes discovery as it is: the proxy is ready and health checking says SERVING."""
    async with serving(examples.port(example)) as served:
        check = served.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            health_pb2.HealthCheckRequest.SerializeToString,
            health_pb2.HealthCheckResponse.FromString,
        )
        assert (await check(health_pb2.HealthCheckRequest(service=""))).status == health_pb2.HealthCheckResponse.SERVING
        assert await served.ready()
