"""Discovery (spec/02-discovery.md): retry, version rules, validation, readiness."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from cloudstate import entity_pb2
from cloudstate_proxy import Proxy
from fake_protos import (
    ACT,
    ACTION_TYPE,
    CRDT_TYPE,
    ES,
    ES_TYPE,
    FDP,
    MESSAGES,
    SERVICES,
    VE,
    VE_TYPE,
    descriptor_set,
    entity,
    entity_spec,
    file,
)
from google.protobuf import descriptor_pb2
from proxy_harness import free_port, launched, start_user_function, wait_until


async def ready_status(proxy: Proxy) -> tuple[int, int]:
    """The statuses of GET /alive and GET /ready on the management port."""
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{proxy.management_ports[0]}"
        async with http.get(f"{base}/alive") as alive, http.get(f"{base}/ready") as ready:
            return alive.status, ready.status


async def test_disc_031_discovery_is_retried_until_the_user_function_comes_up() -> None:
    port = free_port()
    async with launched(uf_port=port) as (_, proxy):
        await asyncio.sleep(0.3)  # several attempts fail meanwhile
        assert not await proxy.ready()
        assert await ready_status(proxy) == (200, 503)
        uf = await start_user_function(entity_spec(), port)
        try:
            await asyncio.wait_for(proxy.wait_started(), 10)
            assert proxy.serving is not None
            assert await ready_status(proxy) == (200, 200)
            info = uf.discovery.infos[0]
            assert (info.protocol_major_version, info.protocol_minor_version) == (0, 2)
            assert info.proxy_name
            assert info.proxy_version
            assert sorted(info.supported_entity_types) == sorted([ES_TYPE, VE_TYPE, CRDT_TYPE, ACTION_TYPE])
        finally:
            await proxy.stop()
            await uf.server.stop(0)


async def test_disc_025_version_0_0_is_served_with_a_warning() -> None:
    async with launched(entity_spec(version=(0, 0))) as (uf, proxy):
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert uf is not None
        assert proxy.serving is not None
        assert any(e.startswith("warning: ") and "0.0" in e for e in uf.discovery.errors)


@pytest.mark.parametrize(
    ("version", "strict"), [((0, 0), True), ((0, 3), False), ((0, 1), False), ((1, 0), False), ((1, 2), False)]
)
async def test_disc_028_an_incompatible_version_is_reported_and_leaves_the_proxy_unready(
    version: tuple[int, int], strict: bool
) -> None:
    async with launched(entity_spec(version=version), strict_protocol=strict) as (uf, proxy):
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert uf is not None
        assert proxy.serving is None
        (report,) = uf.discovery.errors
        assert report.startswith("error: incompatible protocol version")
        assert "0.2" in report
        assert f"{version[0]}.{version[1]}" in report
        assert await ready_status(proxy) == (200, 503)
        await asyncio.sleep(0.2)
        assert len(uf.discovery.infos) == 1  # never retried (DISC-030)


def _with_method(service: str, method: tuple[str, str, str, bool, bool]) -> bytes:
    services = {name: list(methods) for name, methods in SERVICES.items()}
    services[service].append(method)
    return descriptor_set(file(services=services))


def _with_key_field(kind: int, repeated: bool = False) -> bytes:
    messages = {name: list(fields) for name, fields in MESSAGES.items()}
    messages["Cmd"].append(("extra", 3, kind, "key", repeated))
    return descriptor_set(file(messages=messages))


def _missing_import() -> bytes:
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set())
    kept = [f for f in files.file if f.name != "cloudstate/entity_key.proto"]
    return descriptor_pb2.FileDescriptorSet(file=kept).SerializeToString()


DEFAULT = [entity(ES, ES_TYPE, "es"), entity(VE, VE_TYPE, "ve"), entity(ACT, ACTION_TYPE)]
INVALID = {
    "no entities": (entity_spec(entities=[]), "entities is empty"),
    "garbage proto": (entity_spec(proto=b"\xff\xff not protobuf"), "FileDescriptorSet"),
    "missing import": (entity_spec(proto=_missing_import()), "cloudstate/entity_key.proto"),
    "unknown service": (entity_spec(entities=[*DEFAULT, entity("cstest.Nope", VE_TYPE, "n")]), "cstest.Nope"),
    "duplicate": (entity_spec(entities=[*DEFAULT, entity(VE, VE_TYPE, "ve2")]), "more than once"),
    "unsupported type": (entity_spec(entities=[entity(VE, "cloudstate.x.Unknown", "c")]), "cloudstate.x.Unknown"),
    "client-streaming crdt": (
        entity_spec(entities=[entity(ACT, CRDT_TYPE, "c")]),
        "method In is client-streaming, which CRDT entities do not support",
    ),
    "streaming es": (
        entity_spec(proto=_with_method("Es", ("Watch", "Cmd", "State", False, True))),
        "method Watch is server-streaming",
    ),
    "no key": (
        entity_spec(proto=_with_method("Ve", ("Keyless", "Other", "State", False, False))),
        "method Keyless: input type cstest.Other has no entity key",
    ),
    "bytes key": (entity_spec(proto=_with_key_field(FDP.TYPE_BYTES)), "cstest.Cmd.extra is not a string"),
    "repeated key": (entity_spec(proto=_with_key_field(FDP.TYPE_STRING, True)), "cstest.Cmd.extra is repeated"),
    "message key": (entity_spec(proto=_with_key_field(FDP.TYPE_MESSAGE)), "cstest.Cmd.extra is not a string"),
    "no persistence id": (entity_spec(entities=[entity(VE, VE_TYPE, "")]), "persistence_id is empty"),
    "shared persistence id": (
        entity_spec(entities=[entity(ES, ES_TYPE, "same"), entity(VE, ES_TYPE, "same")]),
        "already used by cstest.Es",
    ),
    "negative timeout": (entity_spec(entities=[entity(VE, VE_TYPE, "ve", -5)]), "not positive"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_disc_047_each_validation_error_is_reported_and_leaves_the_proxy_unready(case: str) -> None:
    spec, expected = INVALID[case]
    async with launched(spec) as (uf, proxy):
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert uf is not None
        assert proxy.serving is None
        assert proxy.discovery_error is not None
        assert any(e.startswith("error: ") and expected in e for e in uf.discovery.errors), uf.discovery.errors
        assert await ready_status(proxy) == (200, 503)
        assert len(uf.discovery.infos) == 1


async def test_disc_048_every_validation_error_is_reported_not_only_the_first() -> None:
    spec = entity_spec(entities=[entity("cstest.Nope", VE_TYPE, "a"), entity(ES, "cloudstate.x.Unknown", "b")])
    async with launched(spec) as (uf, proxy):
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert uf is not None
        await wait_until(lambda: len(uf.discovery.errors) == 2)


async def test_disc_012_files_in_any_order_are_accepted() -> None:
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set())
    shuffled = descriptor_pb2.FileDescriptorSet(file=list(reversed(files.file))).SerializeToString()
    async with launched(entity_spec(proto=shuffled)) as (_, proxy):
        await asyncio.wait_for(proxy.wait_started(), 10)
        assert proxy.serving is not None


async def test_entity_helper_sets_the_passivation_strategy() -> None:
    assert entity(VE, VE_TYPE, "x", 100).passivation_strategy.timeout.timeout == 100
    assert not entity_pb2.Entity().HasField("passivation_strategy")
