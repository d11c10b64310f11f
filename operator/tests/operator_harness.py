"""The operator under test, run by kopf against kmock's Kubernetes API emulator over real HTTP.

:class:`Cluster` is kmock's :class:`~kmock.KubernetesEmulator` plus the few
things of a real API server that the operator relies on and the emulator
leaves to its users: names for ``generateName`` (kopf posts events that way),
a schema check of new objects of built-in kinds, a ``uid`` and
``creationTimestamp`` for every new object, a ``resourceVersion``
that changes with every write (kopf's JSON patches test it), and a
``generation`` that goes up when a spec changes. Kubernetes' controllers are not emulated:
tests play the Deployment controller (by writing a Deployment's status) and
the garbage collector (:meth:`Harness.collect_garbage`) where they need them.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp
import jsonpatch
import jsonschema
import kmock
from operator_support import validate_kubernetes
from typing_extensions import override

T = TypeVar("T")

#: (apiVersion, kind) -> (plural, namespaced, subresources) of every resource the emulated API serves.
RESOURCES: dict[tuple[str, str], tuple[str, bool, set[str]]] = {
    ("cloudstate.io/v1alpha1", "StatefulService"): ("statefulservices", True, {"status", "scale"}),
    ("cloudstate.io/v1alpha1", "StatefulStore"): ("statefulstores", True, {"status"}),
    ("apps/v1", "Deployment"): ("deployments", True, {"status", "scale"}),
    ("v1", "Service"): ("services", True, {"status"}),
    ("v1", "ServiceAccount"): ("serviceaccounts", True, set()),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True, set()),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True, set()),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True, {"status"}),
    ("v1", "Secret"): ("secrets", True, set()),
    ("v1", "Event"): ("events", True, set()),
    ("v1", "Namespace"): ("namespaces", False, set()),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False, {"status"}),
}
VERBS = {"get", "list", "watch", "create", "patch", "update", "delete"}


class Cluster(kmock.KubernetesEmulator):
    """kmock's emulator with identities, generated names and generations filled in as an API server would."""

    _counter = itertools.count(1)

    def declare(self) -> None:
        for (api_version, kind), (plural, namespaced, subresources) in RESOURCES.items():
            self.resources[f"{api_version}/{plural}"] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced, verbs=VERBS, subresources=subresources
            )

    @override
    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        data, version = request.data, str(next(self._counter))
        if (
            isinstance(data, dict)
            and request.action == kmock.action.CREATE
            and "." not in data["apiVersion"].split("/")[0]
        ):
            # Built-in kinds are checked against Kubernetes' schemas, as the API server does.
            try:
                validate_kubernetes(data, strict=False)
            except jsonschema.ValidationError as error:
                raise kmock.KubernetesError(status=422, reason="Invalid", message=error.message) from None
        if isinstance(data, dict) and request.action == kmock.action.CREATE:
            meta = data.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{version}"
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", datetime.datetime.now(datetime.UTC).isoformat())
            meta.update(generation=1, resourceVersion=version)
        elif isinstance(data, dict) and request.action == kmock.action.UPDATE:
            meta = data.setdefault("metadata", {})
            meta["resourceVersion"] = version
            if "spec" in data and not request.subresource and request.resource and request.name:
                key = (request.resource, request.namespace, request.name)
            else:
                key = None
            if key is not None and key in self.objects and not self.objects[key].deleted:
                current = dict(self.objects[key].get("metadata") or {})
                meta["generation"] = int(current.get("generation") or 0) + 1
        elif isinstance(data, list) and request.action == kmock.action.UPDATE:
            data.append({"op": "add", "path": "/metadata/resourceVersion", "value": version})
        try:
            return await super()._handle(request)
        except jsonpatch.JsonPatchTestFailed as error:
            # What an API server answers when a JSON patch's test fails (kopf then retries with fresh data).
            raise kmock.KubernetesError(status=422, reason="Invalid", message=str(error)) from None


def path(api_version: str, kind: str, namespace: str, name: str | None = None) -> str:
    plural, namespaced, _ = RESOURCES[api_version, kind]
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    base = f"{root}/namespaces/{namespace}/{plural}" if namespaced else f"{root}/{plural}"
    return base if name is None else f"{base}/{name}"


class Harness:
    """What a test does to the cluster (as kubectl would) and what it waits for."""

    def __init__(self, cluster: Cluster, http: aiohttp.ClientSession, namespace: str = "shop") -> None:
        self.cluster = cluster
        self.http = http
        self.namespace = namespace

    async def create(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        body = {**manifest, "metadata": {"namespace": self.namespace, **manifest["metadata"]}}
        async with self.http.post(path(manifest["apiVersion"], manifest["kind"], self.namespace), json=body) as reply:
            assert reply.status < 300, await reply.text()
            created: dict[str, Any] = await reply.json()
            return created

    async def get(self, api_version: str, kind: str, name: str) -> dict[str, Any] | None:
        async with self.http.get(path(api_version, kind, self.namespace, name)) as reply:
            if reply.status == 404:
                return None
            assert reply.status < 300, await reply.text()
            found: dict[str, Any] = await reply.json()
            return found

    async def list_all(self, api_version: str, kind: str) -> list[dict[str, Any]]:
        async with self.http.get(path(api_version, kind, self.namespace)) as reply:
            assert reply.status < 300, await reply.text()
            return list((await reply.json())["items"])

    async def patch(
        self, api_version: str, kind: str, name: str, body: Mapping[str, Any], subresource: str | None = None
    ) -> None:
        url = path(api_version, kind, self.namespace, name) + (f"/{subresource}" if subresource else "")
        headers = {"Content-Type": "application/merge-patch+json"}
        async with self.http.patch(url, json=body, headers=headers) as reply:
            assert reply.status < 300, await reply.text()

    async def delete(self, api_version: str, kind: str, name: str) -> None:
        async with self.http.delete(path(api_version, kind, self.namespace, name)) as reply:
            assert reply.status < 300, await reply.text()

    async def events(self, name: str) -> list[dict[str, Any]]:
        """The events posted about the object called ``name``, oldest first."""
        return [e for e in await self.list_all("v1", "Event") if e.get("involvedObject", {}).get("name") == name]

    async def collect_garbage(self, owner_uid: str) -> list[str]:
        """Do what Kubernetes' garbage collector does once an owner is gone: delete its dependents."""
        deleted = []
        for api_version, kind in RESOURCES:
            if RESOURCES[api_version, kind][1] and kind not in ("Event", "Secret"):
                for obj in await self.list_all(api_version, kind):
                    meta = obj["metadata"]
                    if any(ref.get("uid") == owner_uid for ref in meta.get("ownerReferences") or []):
                        await self.delete(api_version, kind, meta["name"])
                        deleted.append(f"{kind}/{meta['name']}")
        return deleted

    async def eventually(self, probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 20.0) -> T:
        """Poll ``probe`` until it returns something but None or False; fail naming ``what`` after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = await probe()
            if result is not None and result is not False:
                return result
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)
