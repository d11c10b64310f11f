"""End to end on a real cluster: the operator runs the shopping cart on PostgreSQL, and the cart answers.

    python operator/tools/e2e.py [--user-image IMAGE] [--proxy-image IMAGE] [--postgres-image IMAGE]

The cluster is the one kubectl would use (KUBECONFIG or ~/.kube/config, or the
pod's service account), or CLOUDSTATE_API_SERVER (e.g. ``kubectl proxy``'s
http://127.0.0.1:8001). When none answers, the script prints
"skipped: no cluster reachable (...)" and exits 0, so that CI without a
cluster passes. Otherwise it exits 0 only when every step worked:

1. install the CRDs (deploy/crds/), wait until they are established, and create
   a throwaway namespace (or use --namespace, which is left in place);
2. run the operator in this process, watching only that namespace;
3. apply deploy/examples/shopping-cart/ with the given images;
4. wait for the StatefulService to be Ready;
5. add an item over HTTP/JSON (through the API server's service proxy) and read the cart back;
6. delete the Service the operator made and wait for it to be put back;
7. delete the throwaway namespace (unless --keep).

The images must be pullable by the cluster (for kind: ``kind load docker-image``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import kopf
import yaml
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.errors import KubernetesError
from cloudstate_operator.handlers import register
from cloudstate_operator.kube import KubeApi, credentials

T = TypeVar("T")
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SS = ("cloudstate.io/v1alpha1", "StatefulService")


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user-image", default="cloudstate/sdk-examples:0.1.0", help="the shopping cart's image")
    parser.add_argument("--proxy-image", default="cloudstate/proxy:0.1.0")
    parser.add_argument("--postgres-image", default="postgres:16")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each step")
    parser.add_argument("--namespace", help="an existing namespace to use instead of a throwaway one")
    parser.add_argument("--keep", action="store_true", help="leave the throwaway namespace for inspection")
    return parser.parse_args(argv)


async def reachable_api() -> KubeApi | None:
    config = OperatorConfig(api_server=os.environ.get("CLOUDSTATE_API_SERVER") or None)
    settings = kopf.OperatorSettings()
    try:
        api = await KubeApi.open(credentials(config, settings), timeout=10)
    except (KubernetesError, OSError, ValueError) as error:
        print(f"skipped: no cluster reachable ({error})")
        return None
    try:
        version = await api.version()
    except KubernetesError as error:
        await api.close()
        print(f"skipped: no cluster reachable ({error.message})")
        return None
    print(f"cluster: {api.info.server} (Kubernetes {version.get('gitVersion', '?')})")
    return api


async def apply(api: KubeApi, manifest: dict[str, Any]) -> None:
    """Create, or merge the manifest into what exists (enough for the objects this script owns)."""
    meta = manifest["metadata"]
    try:
        await api.create(manifest)
    except KubernetesError as error:
        if error.status != 409:
            raise
        await api.merge_patch(manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"], manifest)
    print(f"applied {manifest['kind']}/{meta['name']}")


def examples(namespace: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The shopping-cart example with this run's namespace and images (one replica, to be quick)."""
    documents = []
    for path in sorted((DEPLOY / "examples" / "shopping-cart").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            doc["metadata"]["namespace"] = namespace
            if doc["kind"] == "Deployment":
                doc["spec"]["template"]["spec"]["containers"][0]["image"] = args.postgres_image
            if doc["kind"] == "StatefulService":
                doc["spec"]["containers"][0]["image"] = args.user_image
                doc["spec"]["replicas"] = 1
                doc["spec"].pop("autoscaling", None)  # clusters without metrics-server could not scale anyway
            documents.append(doc)
    # Dependencies first: the Secret, the database and the store before the service.
    order = {"Secret": 0, "Deployment": 1, "Service": 1, "StatefulStore": 2, "StatefulService": 3}
    return sorted(documents, key=lambda doc: order.get(doc["kind"], 1))


@contextmanager
def operator_running(config: OperatorConfig) -> Iterator[None]:
    """The operator in a thread of its own, as ``kopf run`` would run it."""
    registry = kopf.OperatorRegistry()
    register(registry, config)
    stop, ready = threading.Event(), threading.Event()

    settings = kopf.OperatorSettings()
    # The CRDs are established before the operator starts, so nothing needs watching for new ones;
    # and with one known namespace there is no need to list namespaces either.
    settings.scanning.disabled = True

    def run() -> None:
        asyncio.run(kopf.operator(registry=registry, settings=settings, standalone=True,
                                  namespaces=config.namespaces, stop_flag=stop, ready_flag=ready))  # fmt: skip

    thread = threading.Thread(target=run, name="operator", daemon=True)
    thread.start()
    if not ready.wait(60):
        raise RuntimeError("the operator did not start within 60 s")
    try:
        yield
    finally:
        stop.set()
        thread.join(60)


async def until(what: str, probe: Callable[[], Awaitable[T | None]], timeout: float) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            result = await probe()
        except KubernetesError as error:
            print(f"  ... {what}: {error.message}")
            result = None
        if result:
            print(f"ok: {what}")
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(2)


@asynccontextmanager
async def namespace(api: KubeApi, args: argparse.Namespace) -> AsyncIterator[str]:
    if args.namespace:
        yield args.namespace
        return
    name = f"cloudstate-e2e-{uuid.uuid4().hex[:6]}"
    await apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    try:
        yield name
    finally:
        if args.keep:
            print(f"kept namespace {name}")
        else:
            await api.delete("v1", "Namespace", None, name)
            print(f"deleted namespace {name}")


async def scenario(api: KubeApi, args: argparse.Namespace) -> None:
    for path in sorted((DEPLOY / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        await apply(api, crd)

        async def established(name: str = crd["metadata"]["name"]) -> bool:
            found = await api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name) or {}
            conditions = (found.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

        await until(f"{crd['metadata']['name']} is established", established, args.timeout)
    async with namespace(api, args) as ns:
        config = OperatorConfig(proxy_image=args.proxy_image, namespaces=(ns,), health_port=None,
                                api_server=os.environ.get("CLOUDSTATE_API_SERVER") or None)  # fmt: skip
        with operator_running(config):
            for manifest in examples(ns, args):
                await apply(api, manifest)

            async def ready() -> bool:
                found = await api.get(*SS, ns, "shopping-cart") or {}
                conditions = (found.get("status") or {}).get("conditions") or []
                return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

            try:
                await until("the StatefulService is Ready", ready, args.timeout)
            except TimeoutError:
                found = await api.get(*SS, ns, "shopping-cart") or {}
                print(f"its status: {found.get('status')}")
                raise
            proxied = f"/api/v1/namespaces/{ns}/services/http:shopping-cart:grpc-http/proxy"
            item = {"productId": "e2e", "name": "End to end", "quantity": 2}

            async def added() -> bool:
                return await api.request("POST", f"{proxied}/cart/alice/items/add", body=item) == {}

            await until("an item is added over HTTP/JSON", added, args.timeout)
            cart = await api.request("GET", f"{proxied}/carts/alice")
            if cart != {"items": [item]}:
                raise AssertionError(f"the cart holds {cart}, not the item just added")
            print("ok: the cart holds the item")

            await api.delete("v1", "Service", ns, "shopping-cart")
            print("deleted Service/shopping-cart behind the operator's back")
            await until("the operator puts the Service back", lambda: api.get("v1", "Service", ns, "shopping-cart"), 60)


async def main(argv: list[str]) -> int:
    args = arguments(argv)
    api = await reachable_api()
    if api is None:
        return 0
    try:
        await scenario(api, args)
    except (KubernetesError, TimeoutError, AssertionError, RuntimeError) as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        await api.close()
    print("passed: the operator ran the shopping cart end to end")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
