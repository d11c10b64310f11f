"""The examples, through the testing module and through the gRPC protocol."""

from __future__ import annotations

import grpc
from cloudstate import action_pb2, action_pb2_grpc, event_sourced_pb2_grpc, value_entity_pb2_grpc
from cloudstate_examples.greeter import greeter, greeter_pb2
from cloudstate_examples.shoppingcart import cart as es_cart
from cloudstate_examples.shoppingcart import domain_pb2, shoppingcart_pb2
from cloudstate_examples.valuecart import cart as value_cart
from cloudstate_examples.valuecart import domain_pb2 as value_domain
from cloudstate_examples.valuecart import valuecart_pb2
from cloudstate_sdk import unpack
from cloudstate_sdk.testing import EventSourcedTestKit, ValueEntityTestKit
from google.protobuf.empty_pb2 import Empty
from sdk_harness import READ_TIMEOUT, Stream, es_command, es_event, es_init, serving, ve_command, ve_init

ES_CART = "com.example.shoppingcart.ShoppingCart"
VALUE_CART = "com.example.valuecart.ShoppingCart"


def add(user: str, product: str, quantity: int) -> shoppingcart_pb2.AddLineItem:
    return shoppingcart_pb2.AddLineItem(user_id=user, product_id=product, name=product.title(), quantity=quantity)


def test_event_sourced_cart_with_the_testkit() -> None:
    kit = EventSourcedTestKit(es_cart, "ann")
    kit.handle("AddItem", add("ann", "pen", 2))
    added = kit.handle("AddItem", add("ann", "pen", 1))
    assert added.events == [domain_pb2.ItemAdded(item=domain_pb2.LineItem(product_id="pen", name="Pen", quantity=1))]
    assert kit.handle("AddItem", add("ann", "ink", -1)).failure == "Cannot add a negative quantity of ink."
    cart = kit.handle("GetCart", shoppingcart_pb2.GetShoppingCart(user_id="ann")).reply
    assert cart == shoppingcart_pb2.Cart(items=[shoppingcart_pb2.LineItem(product_id="pen", name="Pen", quantity=3)])
    assert kit.handle("RemoveItem", shoppingcart_pb2.RemoveLineItem(user_id="ann", product_id="ink")).failure
    kit.handle("RemoveItem", shoppingcart_pb2.RemoveLineItem(user_id="ann", product_id="pen"))
    assert kit.state == domain_pb2.CartState()


def test_value_cart_with_the_testkit() -> None:
    kit = ValueEntityTestKit(value_cart, "c")
    item = valuecart_pb2.AddLineItem(cart_id="c", product_id="p", name="P", quantity=4)
    assert kit.handle("AddItem", item).state_action == "update"
    assert kit.handle("AddItem", item).state == value_domain.CartState(
        items=[value_domain.LineItem(product_id="p", name="P", quantity=8)]
    )
    assert kit.handle("RemoveCart", valuecart_pb2.RemoveShoppingCart(cart_id="c")).state_action == "delete"
    assert kit.state == value_domain.CartState()


async def test_event_sourced_cart_over_grpc_replays_and_replies() -> None:
    async with serving([es_cart, value_cart, greeter]) as channel:
        stream = Stream(event_sourced_pb2_grpc.EventSourcedStub(channel).handle())
        await stream.send(es_init(ES_CART, "ann"))
        item = domain_pb2.LineItem(product_id="pen", name="Pen", quantity=2)
        await stream.send(es_event(1, domain_pb2.ItemAdded(item=item)))
        await stream.send(es_command(1, "AddItem", add("ann", "pen", 1), "ann"))
        reply = (await stream.receive()).reply
        assert unpack(reply.client_action.reply.payload) == Empty()
        assert [unpack(e).item.quantity for e in reply.events] == [1]
        await stream.send(es_command(2, "GetCart", shoppingcart_pb2.GetShoppingCart(user_id="ann"), "ann"))
        cart = unpack((await stream.receive()).reply.client_action.reply.payload)
        assert [(i.product_id, i.quantity) for i in cart.items] == [("pen", 3)]
        assert await stream.close() == []


async def test_value_cart_over_grpc() -> None:
    async with serving([value_cart]) as channel:
        stream = Stream(value_entity_pb2_grpc.ValueEntityStub(channel).handle())
        stored = value_domain.CartState(items=[value_domain.LineItem(product_id="p", name="P", quantity=1)])
        await stream.send(ve_init(VALUE_CART, "c", stored))
        await stream.send(ve_command(1, "RemoveItem", valuecart_pb2.RemoveLineItem(cart_id="c", product_id="p"), "c"))
        reply = (await stream.receive()).reply
        assert unpack(reply.state_action.update.value) == value_domain.CartState()


async def test_greeter_over_grpc() -> None:
    async with serving([greeter]) as channel:
        stub = action_pb2_grpc.ActionProtocolStub(channel)
        sent = action_pb2.ActionCommand(service_name="com.example.greeter.Greeter", name="GreetRepeatedly")
        sent.payload.Pack(greeter_pb2.Hello(name="Bo", times=2))
        texts = [unpack(r.reply.payload).text async for r in stub.handleStreamedOut(sent, timeout=READ_TIMEOUT)]
        assert texts == ["Hello, Bo!", "Hello, Bo!"]
        sent = action_pb2.ActionCommand(service_name="com.example.greeter.Greeter", name="Greet")
        sent.payload.Pack(greeter_pb2.Hello(name="Cy"))
        response = await stub.handleUnary(sent, timeout=READ_TIMEOUT)
        assert unpack(response.reply.payload).text == "Hello, Cy!"
        assert isinstance(channel, grpc.aio.Channel)
