"""The public port: gRPC and HTTP/JSON on one port, health, reflection, errors, metrics."""

from __future__ import annotations

import aiohttp
import grpc
from fake_protos import ACT, ES, VE, Cmd, State
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped,unused-ignore]
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc  # type: ignore[import-untyped,unused-ignore]
from proxy_harness import failure, free_port, running


async def test_one_port_serves_grpc_and_http_json() -> None:
    async with running() as env:
        assert (await env.do(f"/{VE}/Do", "v1", "update:G")).value == "G"
        assert env.proxy.serving is not None
        url = f"http://127.0.0.1:{env.proxy.serving.http_port}/{VE}/Do"
        async with aiohttp.ClientSession() as http, http.post(url, json={"id": "v1"}) as response:
            assert response.status == 200
            assert (await response.json())["value"] == "G"


async def test_http_failure_is_500_with_a_json_status() -> None:
    async with running() as env:
        assert env.proxy.serving is not None
        url = f"http://127.0.0.1:{env.proxy.serving.http_port}/{VE}/Do"
        async with aiohttp.ClientSession() as http, http.post(url, json={"id": "v1", "script": "fail:no"}) as response:
            assert response.status == 500
            assert await response.json() == {"code": 2, "message": "no", "details": []}


async def test_fail_048_an_unknown_method_is_unimplemented() -> None:
    async with running() as env:
        code, _ = await failure(env.unary(f"/{VE}/Nope")(Cmd(id="x")))
        assert code == grpc.StatusCode.UNIMPLEMENTED


async def test_fail_047_a_malformed_request_is_invalid_argument_and_not_sent() -> None:
    async with running() as env:
        call = env.channel.unary_unary(f"/{ES}/Do", request_serializer=None, response_deserializer=State.FromString)
        code, details = await failure(call(b"\x0a\xff\xff\xff"))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert "cstest.Cmd" in details
        assert env.uf.es.streams == []


async def test_fail_049_an_oversized_request_is_resource_exhausted() -> None:
    async with running(max_message_size=1024) as env:
        code, _ = await failure(env.do(f"/{ACT}/Unary", "a", "x" * 4096))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert env.uf.actions.commands == []


async def test_grpc_health_reports_serving_for_the_proxy_and_each_service() -> None:
    async with running() as env:
        stub = health_pb2_grpc.HealthStub(env.channel)
        for service in ("", ES, VE, ACT):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_user_services_and_describes_them() -> None:
    async with running() as env:
        stub = reflection_pb2_grpc.ServerReflectionStub(env.channel)

        async def ask(request: reflection_pb2.ServerReflectionRequest) -> reflection_pb2.ServerReflectionResponse:
            async for response in stub.ServerReflectionInfo(iter([request])):
                return response
            raise AssertionError("no reflection response")

        listed = await ask(reflection_pb2.ServerReflectionRequest(list_services=""))
        names = {s.name for s in listed.list_services_response.service}
        assert {ES, VE, ACT, "grpc.reflection.v1alpha.ServerReflection", "grpc.health.v1.Health"} <= names
        described = await ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol=ES))
        assert described.file_descriptor_response.file_descriptor_proto


async def test_the_grpc_port_flag_serves_grpc_directly() -> None:
    port = free_port()
    async with running(grpc_port=port) as env:
        assert env.proxy.serving is not None
        assert env.proxy.serving.grpc_port == port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            do = channel.unary_unary(f"/{ES}/Do", Cmd.SerializeToString, State.FromString)
            assert (await do(Cmd(id="d", script="emit:Z"))).value == "Z"


async def test_metrics_count_calls_and_persisted_events() -> None:
    async with running() as env:
        await env.do(f"/{ES}/Do", "e1", "emit:A;emit:B")
        await failure(env.do(f"/{VE}/Do", "v1", "fail:x"))
        url = f"http://127.0.0.1:{env.proxy.management_ports[0]}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            text = await response.text()
        assert 'cloudstate_commands_completed_total{method="Do",service="cstest.Es"} 1.0' in text
        assert 'cloudstate_commands_failed_total{code="UNKNOWN",method="Do",service="cstest.Ve"} 1.0' in text
        assert 'cloudstate_events_persisted_total{persistence_id="es"} 2.0' in text
        assert 'cloudstate_active_entities{service="cstest.Es"} 1.0' in text
