"""tools/e2e.py: it skips cleanly without a cluster, and its scenario runs against an emulated one."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from cloudstate_proxy.testing import free_port
from operator_harness import Cluster, Harness

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "e2e.py"
ITEM = {"productId": "e2e", "name": "End to end", "quantity": 2}


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("operator_e2e", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kubeconfig", ["none", "unreachable"])
def test_without_a_cluster_the_script_skips_and_succeeds(tmp_path: Path, kubeconfig: str) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    if kubeconfig == "unreachable":
        config = tmp_path / "config"
        config.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
            f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{free_port()}'}}}}]\n"
            "users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        )
        env["KUBECONFIG"] = str(config)
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("skipped: no cluster reachable ("), done.stdout


@contextlib.asynccontextmanager
async def controllers(k8s: Harness) -> AsyncIterator[None]:
    """Play what the emulator lacks: the Deployment controller and the Service's backend."""
    (
        k8s.cluster[
            "post",
            re.compile(r"/api/v1/namespaces/[^/]+/services/http:shopping-cart:grpc-http/proxy/cart/alice/items/add"),
        ]
        << {}
    )
    k8s.cluster[
        "get", re.compile(r"/api/v1/namespaces/[^/]+/services/http:shopping-cart:grpc-http/proxy/carts/alice")
    ] << {"items": [ITEM]}

    async def roll_out() -> None:
        while True:
            for (resource, namespace, name), obj in list(k8s.cluster.objects.items()):
                if obj.deleted:
                    continue
                if resource.plural == "customresourcedefinitions" and not obj.get("status"):
                    established = {"conditions": [{"type": "Established", "status": "True"}]}
                    await k8s.patch("apiextensions.k8s.io/v1", "CustomResourceDefinition", name,
                                    {"status": established}, subresource="status")  # fmt: skip
                if resource.plural == "deployments" and not obj.get("status"):
                    replicas = obj["spec"].get("replicas", 1)
                    status = {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
                              "observedGeneration": obj["metadata"]["generation"]}  # fmt: skip
                    k8s.namespace = namespace or ""
                    await k8s.patch("apps/v1", "Deployment", name, {"status": status}, subresource="status")
            await asyncio.sleep(0.2)

    task = asyncio.create_task(roll_out())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_scenario_runs_end_to_end_against_an_emulated_cluster(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(cluster.url).rstrip("/")
    monkeypatch.setenv("CLOUDSTATE_API_SERVER", url)
    script: Any = load_script()
    async with aiohttp.ClientSession(base_url=url) as http, controllers(Harness(cluster, http)):
        # The emulator cannot list or create Namespaces (it reads /api/v1/namespaces as a namespace prefix).
        args = ["--namespace", "shop", "--timeout", "60", "--user-image", "cart:e2e", "--postgres-image", "pg:e2e"]
        status = await script.main(args)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "ok: the StatefulService is Ready" in out
    assert "ok: the cart holds the item" in out
    assert "ok: the operator puts the Service back" in out
    images = {
        obj["spec"]["template"]["spec"]["containers"][0]["image"]
        for key, obj in cluster.objects.items()
        if key[0].plural == "deployments" and not obj.deleted
    }
    assert images == {"pg:e2e", "cart:e2e"}
