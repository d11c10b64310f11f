"""The built images serving real traffic: a user function image and the proxy image pointed at it.

Each test starts containers on the host network with free loopback ports, waits
until the proxy is ready and Docker reports both containers healthy (so the
images' HEALTHCHECKs work), then calls through the proxy over gRPC and HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest
from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate.tck.model import eventsourced_pb2, eventsourced_pb2_grpc
from cloudstate_examples.shoppingcart import shoppingcart_pb2, shoppingcart_pb2_grpc
from cloudstate_images import Outcome
from images_harness import (
    PROXY_GAVE_UP,
    Healthy,
    LoopbackHttp,
    free_port,
    get,
    image_tag,
    post_json,
    proxy_env,
    running,
    user_function_env,
)
from testcontainers.core.container import DockerContainer

pytestmark = pytest.mark.usefixtures("no_leftovers")

NON_ROOT_UID = "10001"


def _uid(container: DockerContainer) -> str:
    result = container.exec(["id", "-u"])
    return result.output.decode().strip()


@pytest.fixture
def channel_to() -> Iterator[list[grpc.Channel]]:
    channels: list[grpc.Channel] = []
    yield channels
    for channel in channels:
        channel.close()


def _channel(channels: list[grpc.Channel], port: int) -> grpc.Channel:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    channels.append(channel)
    return channel


def test_tck_model_is_served_through_the_proxy(built: dict[str, Outcome], channel_to: list[grpc.Channel]) -> None:
    uf_port, http_port, management_port = free_port(), free_port(), free_port()
    with (
        running(image_tag(built, "sdk-tck"), user_function_env(uf_port), Healthy()) as user_function,
        running(
            image_tag(built, "proxy"),
            proxy_env(uf_port, http_port, management_port),
            LoopbackHttp(management_port, "/ready", fatal=PROXY_GAVE_UP),
        ) as proxy,
    ):
        Healthy().wait_until_ready(proxy)
        stub = eventsourced_pb2_grpc.EventSourcedTckModelStub(_channel(channel_to, http_port))
        emit = eventsourced_pb2.RequestAction(emit=eventsourced_pb2.Emit(value="x"))
        reply = stub.Process(eventsourced_pb2.Request(id="image-test", actions=[emit]), timeout=20)
        assert reply.message == "x"

        body = json.dumps({"actions": [{"emit": {"value": "y"}}]}).encode()
        status, answer = post_json(f"http://127.0.0.1:{http_port}/tck/model/eventsourced/image-test", body)
        assert (status, json.loads(answer)) == (200, {"message": "xy"})

        assert (_uid(user_function), _uid(proxy)) == (NON_ROOT_UID, NON_ROOT_UID)


def test_shopping_cart_example_is_served_through_the_proxy(
    built: dict[str, Outcome], channel_to: list[grpc.Channel]
) -> None:
    uf_port, http_port, management_port = free_port(), free_port(), free_port()
    with (
        # No argument and no EXAMPLE override: the image's default example, the shopping cart.
        running(image_tag(built, "sdk-examples"), user_function_env(uf_port), Healthy()),
        running(
            image_tag(built, "proxy"),
            proxy_env(uf_port, http_port, management_port),
            LoopbackHttp(management_port, "/ready", fatal=PROXY_GAVE_UP),
        ),
    ):
        stub = shoppingcart_pb2_grpc.ShoppingCartStub(_channel(channel_to, http_port))
        item = shoppingcart_pb2.AddLineItem(user_id="ann", product_id="tea", name="Green tea", quantity=2)
        stub.AddItem(item, timeout=20)

        status, answer = get(f"http://127.0.0.1:{http_port}/carts/ann")
        assert status == 200
        assert json.loads(answer) == {"items": [{"productId": "tea", "name": "Green tea", "quantity": 2}]}


def test_examples_image_serves_the_example_named_by_its_argument(
    built: dict[str, Outcome], channel_to: list[grpc.Channel]
) -> None:
    port = free_port()
    with running(image_tag(built, "sdk-examples"), user_function_env(port), Healthy(), command=["valuecart"]):
        stub = entity_pb2_grpc.EntityDiscoveryStub(_channel(channel_to, port))
        proxy_info = entity_pb2.ProxyInfo(protocol_major_version=0, protocol_minor_version=2, proxy_name="image-test")
        spec = stub.discover(proxy_info, timeout=20)
    assert [entity.service_name for entity in spec.entities] == ["com.example.valuecart.ShoppingCart"]
