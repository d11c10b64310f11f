"""Discovery and reportError over real gRPC (spec/02-discovery.md)."""

from __future__ import annotations

import logging
import platform

import cloudstate_sdk
import pytest
from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate_examples.shoppingcart import cart
from cloudstate_sdk.tck_model import entities
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from sdk_harness import READ_TIMEOUT, serving

PROXY = entity_pb2.ProxyInfo(
    protocol_major_version=0,
    protocol_minor_version=2,
    proxy_name="test-proxy",
    supported_entity_types=[
        "cloudstate.eventsourced.EventSourced",
        "cloudstate.valueentity.ValueEntity",
        "cloudstate.action.ActionProtocol",
    ],
)


async def discover() -> entity_pb2.EntitySpec:
    async with serving([*entities(), cart]) as channel:
        stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
        spec: entity_pb2.EntitySpec = await stub.discover(PROXY, timeout=READ_TIMEOUT)
        assert await stub.discover(PROXY, timeout=READ_TIMEOUT) == spec, "the answer is the same every time"
        return spec


async def test_service_info_reports_protocol_0_2_and_the_library() -> None:
    info = (await discover()).service_info
    assert (info.protocol_major_version, info.protocol_minor_version) == (0, 2)
    assert info.support_library_name == "cloudstate-sdk"
    assert info.support_library_version == cloudstate_sdk.__version__
    assert info.service_runtime == f"{platform.python_implementation()} {platform.python_version()}"


async def test_entities_carry_type_persistence_id_and_passivation() -> None:
    spec = await discover()
    by_name = {e.service_name: e for e in spec.entities}
    model = by_name["cloudstate.tck.model.EventSourcedTckModel"]
    assert (model.entity_type, model.persistence_id) == (
        "cloudstate.eventsourced.EventSourced",
        "event-sourced-tck-model",
    )
    assert not model.HasField("passivation_strategy")
    for name, persistence_id in [
        ("cloudstate.tck.model.EventSourcedConfigured", "event-sourced-configured"),
        ("cloudstate.tck.model.valueentity.ValueEntityConfigured", "value-entity-configured"),
    ]:
        assert by_name[name].persistence_id == persistence_id
        assert by_name[name].passivation_strategy.timeout.timeout == 100
    value = by_name["cloudstate.tck.model.valueentity.ValueEntityTckModel"]
    assert (value.entity_type, value.persistence_id) == ("cloudstate.valueentity.ValueEntity", "value-entity-tck-model")
    action = by_name["cloudstate.tck.model.action.ActionTckModel"]
    assert action.entity_type == "cloudstate.action.ActionProtocol"
    assert by_name["com.example.shoppingcart.ShoppingCart"].persistence_id == "shopping-cart"
    crdt = by_name["cloudstate.tck.model.crdt.CrdtConfigured"]
    assert (crdt.entity_type, crdt.passivation_strategy.timeout.timeout) == ("cloudstate.crdt.Crdt", 100)
    assert len(spec.entities) == 15


async def test_descriptor_set_holds_every_transitive_import_in_order() -> None:
    files = descriptor_pb2.FileDescriptorSet.FromString((await discover()).proto)
    names = [f.name for f in files.file]
    assert len(names) == len(set(names))
    for required in (
        "cloudstate/entity_key.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/empty.proto",
        "cloudstate_examples/shoppingcart/shoppingcart.proto",
    ):
        assert required in names
    # Every file comes after its imports, so a fresh pool accepts them in order.
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    method = pool.FindServiceByName("com.example.shoppingcart.ShoppingCart").methods_by_name["AddItem"]
    assert method.input_type.full_name == "com.example.shoppingcart.AddLineItem"
    # Options survive: the entity key and the HTTP rule are readable from the set.
    message_factory.GetMessageClass(method.input_type)
    key_field = next(f for f in files.file if f.name.endswith("shoppingcart.proto")).message_type[0].field[0]
    assert key_field.options.ByteSize() > 0


async def test_report_error_logs_the_proxy_message(caplog: pytest.LogCaptureFixture) -> None:
    async with serving(entities()) as channel:
        stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
        await stub.reportError(entity_pb2.UserFunctionError(message="bad key field in Foo"), timeout=READ_TIMEOUT)
    errors = [r for r in caplog.records if r.name == "cloudstate_sdk" and r.levelno == logging.ERROR]
    assert any("bad key field in Foo" in r.getMessage() for r in errors)


async def test_incompatible_proxy_version_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    async with serving(entities()) as channel:
        stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
        await stub.discover(entity_pb2.ProxyInfo(protocol_major_version=1), timeout=READ_TIMEOUT)
    assert any(r.levelno == logging.WARNING and "1.0" in r.getMessage() for r in caplog.records)
