"""Bad requests: the right status, a message that says what to fix, and nothing stored (spec/06-failures.md).

Each test first stores one good command, then sends the bad ones, then reads
the store directly: the journal holds the good command's event and nothing
else. The user function is ``e2e_user_function.py`` (the shopping cart, plus
the TCK model's ``EventSourcedTwo.Call``, an entity method on the default HTTP
route, where the entity key comes from the JSON body).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import grpc
from cloudstate_examples.shoppingcart import shoppingcart_pb2 as es_cart
from e2e_carts import ES_CART, Carts, e2e_user_function
from e2e_harness import Served, grpc_failure, serving

LIMIT = 1024  # the proxy's maximum message size in these tests
TWO = "/cloudstate.tck.model.EventSourcedTwo/Call"


async def nothing_but_the_good_command_stored(served: Served) -> None:
    journal = await served.store.journal.events_by_persistence_id("shopping-cart", 0, 100)
    assert [(t.entity_id, t.event.sequence) for t in journal] == [("u1", 1)]
    assert await served.store.journal.events_by_persistence_id("event-sourced-tck-model-two", 0, 100) == []
    assert await Carts(served).get("u1") == [("p1", 1)]


async def test_bad_grpc_requests(store_url: str, tmp_path: Path) -> None:
    with e2e_user_function(tmp_path) as user_function:
        async with serving(user_function.port, store_url, max_message_size=LIMIT) as served:
            await Carts(served).add("u1", "p1")

            async def raw(path: str, data: bytes) -> tuple[grpc.StatusCode, str]:
                return await grpc_failure(served.channel.unary_unary(path)(data))

            # Not a protobuf message at all (a field tag with a truncated length-delimited value).
            code, details = await raw(f"/{ES_CART}/AddItem", b"\x0a\xff\xff")
            assert code == grpc.StatusCode.INVALID_ARGUMENT
            assert "com.example.shoppingcart.AddLineItem" in details, details

            code, details = await raw(f"/{ES_CART}/AddItem", es_cart.AddLineItem(product_id="p2").SerializeToString())
            assert code == grpc.StatusCode.INVALID_ARGUMENT
            assert all(part in details for part in ("entity key", "user_id")), details

            for path, named in [
                ("/com.example.Nowhere/AddItem", "com.example.Nowhere"),
                (f"/{ES_CART}/Checkout", "Checkout"),
            ]:
                code, details = await raw(path, b"")
                assert code == grpc.StatusCode.UNIMPLEMENTED
                assert named in details, details

            big = es_cart.AddLineItem(user_id="u1", product_id="p2", name="x" * LIMIT).SerializeToString()
            code, details = await raw(f"/{ES_CART}/AddItem", big)
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert str(LIMIT) in details, details

            await nothing_but_the_good_command_stored(served)


@dataclasses.dataclass(frozen=True)
class Bad:
    """A bad HTTP request and what the answer must be: status, ``code`` of the JSON body, text in its message."""

    what: str
    verb: str
    path: str
    kwargs: dict[str, Any]
    status: int
    code: int
    named: str


ADD = "/cart/u1/items/add"
JSON_TYPE = {"Content-Type": "application/json"}
BAD_HTTP = [
    Bad("malformed JSON", "POST", ADD, {"data": b"{not json", "headers": JSON_TYPE}, 400, 3, "not valid JSON"),
    Bad("unknown field", "POST", ADD, {"json": {"productId": "p2", "colour": "red"}}, 400, 3, "colour"),
    Bad("wrong JSON type", "POST", ADD, {"json": {"productId": "p2", "quantity": "many"}}, 400, 3, "quantity"),
    Bad("missing entity key", "POST", TWO, {"json": {}}, 400, 3, "entity key"),
    Bad("wrong content type", "POST", ADD, {"data": b"p2", "headers": {"Content-Type": "text/plain"}}, 415, 3,
        "application/json"),
    Bad("too large", "POST", ADD, {"json": {"productId": "p2", "name": "x" * LIMIT}}, 413, 8, str(LIMIT)),
    Bad("unknown path", "POST", "/cart/u1/checkout", {"json": {}}, 404, 12, "/cart/u1/checkout"),
    Bad("unknown method", "POST", f"/{ES_CART}/Checkout", {"json": {}}, 404, 12, "Checkout"),
    Bad("wrong verb", "GET", ADD, {}, 405, 12, "POST"),
]  # fmt: skip


async def test_bad_http_requests(store_url: str, tmp_path: Path) -> None:
    with e2e_user_function(tmp_path) as user_function:
        async with serving(user_function.port, store_url, max_message_size=LIMIT) as served:
            await Carts(served).add("u1", "p1")
            for bad in BAD_HTTP:
                answer = await served.request(bad.verb, bad.path, **bad.kwargs)
                assert (answer.status, answer.content_type) == (bad.status, "application/json"), (bad.what, answer)
                body = answer.json()
                assert (body["code"], body["details"]) == (bad.code, []), (bad.what, body)
                assert bad.named in body["message"], (bad.what, body)
            # The entity method on the default route works once its key is there.
            keyed = await served.request("POST", TWO, json={"id": "t1"})
            assert (keyed.status, keyed.json()) == (200, {})
            allowed = await served.http.get(ADD)
            assert allowed.headers["Allow"] == "POST"
            allowed.release()
            await nothing_but_the_good_command_stored(served)
