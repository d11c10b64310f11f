"""Sidecar injection for plain Deployments, through kopf's admission webhook server over HTTP.

The API server is played by the test: it sends AdmissionReview requests as
Kubernetes would and applies the JSON patch it gets back.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jsonpatch
import kopf
import pytest
from cloudstate_operator.config import OperatorConfig, WebhookConfig
from cloudstate_operator.handlers import register
from cloudstate_proxy.testing import free_port
from conftest import running_operator
from operator_harness import Cluster, Harness
from operator_support import validate_kubernetes


@dataclasses.dataclass
class Admission:
    allowed: bool
    mutated: dict[str, Any]
    warnings: list[str]
    message: str


class ApiServer:
    """Sends admission reviews for Deployments to the webhook, as the API server would."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def admit(self, deployment: dict[str, Any], operation: str = "CREATE") -> Admission:
        review: dict[str, Any] = {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": str(uuid.uuid4()),
                "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "namespace": "shop",
                "name": deployment["metadata"]["name"],
                "operation": operation,
                "userInfo": {"username": "alice"},
                "object": deployment,
                "oldObject": deployment if operation == "UPDATE" else None,
                "dryRun": False,
            },
        }
        async with self.http.post(self.url, json=review) as reply:
            assert reply.status == 200, await reply.text()
            response = (await reply.json())["response"]
        assert response["uid"] == review["request"]["uid"]
        mutated = copy.deepcopy(deployment)
        if "patch" in response:
            assert response["patchType"] == "JSONPatch"
            mutated = jsonpatch.apply_patch(mutated, json.loads(base64.b64decode(response["patch"])))
        message = (response.get("status") or {}).get("message", "")
        return Admission(response["allowed"], mutated, response.get("warnings", []), message)


@pytest.fixture
async def webhook(cluster: Cluster, config: OperatorConfig) -> AsyncIterator[tuple[ApiServer, Harness]]:
    port = free_port()
    hooked = dataclasses.replace(config, webhook=WebhookConfig(port=port, addr="127.0.0.1", insecure=True))
    async with (
        running_operator(hooked),
        aiohttp.ClientSession() as http,
        aiohttp.ClientSession(base_url=config.api_server) as kube,
    ):
        await listening(port)
        yield ApiServer(http, f"http://127.0.0.1:{port}/inject-proxy"), Harness(cluster, kube)


async def listening(port: int) -> None:
    """Until kopf's webhook server (started after the operator reports ready) takes connections."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert loop.time() < deadline, f"the webhook server never listened on {port}"
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


def deployment(**annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "value-cart",
            "namespace": "shop",
            "annotations": {"cloudstate.io/enabled": "true", **annotations},
        },
        "spec": {
            "selector": {"matchLabels": {"app": "value-cart"}},
            "template": {
                "metadata": {"labels": {"app": "value-cart"}},
                "spec": {"containers": [{"name": "cart", "image": "cart:1", "ports": [{"containerPort": 7000}]}]},
            },
        },
    }


def containers(admitted: Admission) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in admitted.mutated["spec"]["template"]["spec"]["containers"]}


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


async def test_an_annotated_deployment_gets_the_sidecar_and_its_port(webhook: tuple[ApiServer, Harness]) -> None:
    api, _ = webhook
    admitted = await api.admit(deployment())
    assert admitted.allowed
    found = containers(admitted)
    assert list(found) == ["cart", "cloudstate-proxy"]
    assert env(found["cart"]) == {"PORT": "7000"}  # its declared port
    assert env(found["cloudstate-proxy"])["USER_FUNCTION_PORT"] == "7000"
    assert env(found["cloudstate-proxy"])["STORE"] == "memory"
    validate_kubernetes(admitted.mutated)

    again = await api.admit(admitted.mutated, operation="UPDATE")
    assert again.allowed
    assert again.mutated == admitted.mutated, "injecting twice changes nothing"


async def test_annotations_choose_ports_image_and_store(webhook: tuple[ApiServer, Harness]) -> None:
    api, k8s = webhook
    await k8s.create({"apiVersion": "cloudstate.io/v1alpha1", "kind": "StatefulStore", "metadata": {"name": "pg"},
                      "spec": {"postgres": {"host": "db", "credentials": {"secret": {"name": "creds"}}}}})  # fmt: skip
    admitted = await api.admit(
        deployment(
            **{
                "cloudstate.io/stateful-store": "pg",
                "cloudstate.io/database": "carts",
                "cloudstate.io/user-function-port": "8081",
                "cloudstate.io/http-port": "9001",
                "cloudstate.io/proxy-image": "proxy:canary",
            }
        )
    )
    assert admitted.allowed
    proxy = containers(admitted)["cloudstate-proxy"]
    settings = env(proxy)
    assert proxy["image"] == "proxy:canary"
    assert (settings["HTTP_PORT"], settings["USER_FUNCTION_PORT"]) == ("9001", "8081")
    assert settings["STORE"] == "postgresql://db:5432/carts?sslmode=prefer"
    assert settings["PGUSER"] == {"secretKeyRef": {"name": "creds", "key": "username"}}
    assert admitted.warnings == ["Secret 'creds' with the PostgreSQL credentials not found"]


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ({"cloudstate.io/stateful-store": "nowhere"}, "StatefulStore 'nowhere' not found"),
        ({"cloudstate.io/http-port": "http"}, "is not a port number"),
        ({"cloudstate.io/user-function-port": "9000"}, "must all differ"),
        ({"cloudstate.io/user-container": "sidecar"}, "no container named 'sidecar'"),
    ],
)
async def test_an_unusable_request_is_refused_with_the_reason(
    webhook: tuple[ApiServer, Harness], annotations: dict[str, str], message: str
) -> None:
    api, _ = webhook
    admitted = await api.admit(deployment(**annotations))
    assert not admitted.allowed
    assert message in admitted.message


async def test_a_deployment_without_the_annotation_is_left_alone(webhook: tuple[ApiServer, Harness]) -> None:
    api, _ = webhook
    plain = deployment()
    plain["metadata"]["annotations"] = {"cloudstate.io/enabled": "false"}
    admitted = await api.admit(plain)
    assert admitted.allowed
    assert admitted.mutated == plain


def test_without_a_certificate_the_webhook_stays_off(tmp_path: Any) -> None:
    registry = kopf.OperatorRegistry()
    config = OperatorConfig(webhook=WebhookConfig(port=9443, cert_file=str(tmp_path / "missing.crt")))
    register(registry, config)
    assert not registry._webhooks.get_all_handlers()
    with_cert = tmp_path / "tls.crt"
    with_cert.write_text("-----BEGIN CERTIFICATE-----\n")
    registry = kopf.OperatorRegistry()
    register(registry, dataclasses.replace(config, webhook=WebhookConfig(port=9443, cert_file=str(with_cert))))
    assert [handler.id for handler in registry._webhooks.get_all_handlers()] == ["inject-proxy"]
