"""The server's configuration and life cycle, including the TCK model process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import grpc
import pytest
from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate_sdk import DefinitionError, EventSourcedEntity, Server
from cloudstate_sdk.tck_model import entities
from cloudstate_sdk.tck_model import eventsourced as es_model
from sdk_harness import READ_TIMEOUT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_address_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert Server(entities()).address == "127.0.0.1:8080"
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9123")
    assert Server(entities()).address == "0.0.0.0:9123"
    assert Server(entities(), host="localhost", port=1).address == "localhost:1"
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(DefinitionError, match="PORT"):
        Server(entities())


def test_server_refuses_bad_entity_lists() -> None:
    with pytest.raises(DefinitionError, match="at least one"):
        Server([])
    with pytest.raises(DefinitionError, match="given twice"):
        Server([es_model.model, es_model.model])
    with pytest.raises(DefinitionError, match="has no handler for: Call"):
        Server([EventSourcedEntity("cloudstate.tck.model.EventSourcedTwo")])
    with pytest.raises(DefinitionError, match="cannot serve"):
        Server(["cart"])  # type: ignore[list-item]


async def test_start_binds_a_free_port_and_stop_releases_it() -> None:
    server = Server(entities(), port=0)
    await server.start()
    assert server.port > 0
    async with grpc.aio.insecure_channel(server.address) as channel:
        spec = await entity_pb2_grpc.EntityDiscoveryStub(channel).discover(entity_pb2.ProxyInfo(), timeout=READ_TIMEOUT)
        assert spec.entities
    await server.stop()
    await server.stop()  # idempotent


async def _discover_until_up(address: str, process: subprocess.Popen[bytes]) -> entity_pb2.EntitySpec:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
        for _ in range(200):
            assert process.poll() is None, process.communicate()
            try:
                spec: entity_pb2.EntitySpec = await stub.discover(entity_pb2.ProxyInfo(), timeout=1)
                return spec
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"the TCK model process never answered on {address}")


@pytest.mark.parametrize(
    ("module", "how", "service", "entities"),
    [
        ("cloudstate_sdk.tck_model", "argument", "cloudstate-tck-model", 14),
        ("cloudstate_sdk.tck_model", "environment", "cloudstate-tck-model", 14),
        ("cloudstate_examples.shoppingcart", "environment", "shopping-cart", 1),
        ("cloudstate_examples.valuecart", "environment", "value-shopping-cart", 1),
        ("cloudstate_examples.greeter", "environment", "greeter", 1),
        ("cloudstate_examples.chat", "environment", "chat", 2),
    ],
)
async def test_processes_serve_and_stop_on_sigterm(module: str, how: str, service: str, entities: int) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")}
    args = [sys.executable, "-m", module]
    if how == "argument":
        args += ["--port", str(port)]
    else:
        env["PORT"] = str(port)
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        spec = await _discover_until_up(f"127.0.0.1:{port}", process)
        assert spec.service_info.service_name == service
        assert len(spec.entities) == entities
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=READ_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert b"shutting down" in stderr
