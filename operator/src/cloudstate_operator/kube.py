"""The only module that talks to the Kubernetes API (besides kopf itself).

A small REST client over aiohttp, the HTTP stack kopf already runs on, using
kopf's own :class:`kopf.ConnectionInfo` for credentials: the same login kopf
performs (in-cluster service account or kubeconfig), the same TLS context and
headers (``ConnectionInfo.as_ssl_context`` / ``as_http_headers``). It speaks
plain JSON objects, which is all the operator renders, and turns every failure
into :class:`~cloudstate_operator.errors.KubernetesError`.

Only a handful of verbs are needed: get, list, create, JSON merge patch and
delete. Merge patch (RFC 7386) is used for repairs because its semantics are
the same on every kind: objects merge, lists are replaced whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import kopf

from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.errors import KubernetesError

#: kind -> plural, for every kind the operator reads or writes.
PLURALS = {
    "ServiceAccount": "serviceaccounts",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "Service": "services",
    "Deployment": "deployments",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "Secret": "secrets",
    "Event": "events",
    "Namespace": "namespaces",
    "CustomResourceDefinition": "customresourcedefinitions",
    names.SERVICE_KIND: names.SERVICE_PLURAL,
    names.STORE_KIND: names.STORE_PLURAL,
}


def credentials(config: OperatorConfig, settings: kopf.OperatorSettings) -> kopf.ConnectionInfo:
    """How to reach the API server: ``config.api_server`` if set, else the pod's service account, else kubeconfig."""
    if config.api_server:
        return kopf.ConnectionInfo(server=config.api_server)
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)
    if info is None:
        raise KubernetesError("no Kubernetes credentials: not in a pod and no kubeconfig", status=0)
    return info


class KubeApi:
    """A JSON client for namespaced objects; use :meth:`open` and :meth:`close` (or ``async with``)."""

    def __init__(
        self,
        info: kopf.ConnectionInfo,
        session: aiohttp.ClientSession,
        relogin: Callable[[], kopf.ConnectionInfo] | None = None,
    ) -> None:
        self.info = info
        self._session = session
        self._server = info.server.rstrip("/")
        self._relogin = relogin

    @classmethod
    async def open(
        cls,
        info: kopf.ConnectionInfo,
        *,
        relogin: Callable[[], kopf.ConnectionInfo] | None = None,
        timeout: float = 30.0,
    ) -> KubeApi:
        """A client for ``info``; ``relogin`` fetches fresh credentials when the server answers 401 (rotated tokens)."""
        secure = info.server.startswith("https:")
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=info.as_ssl_context() if secure else False),
            headers={**info.as_http_headers(), "User-Agent": names.MANAGER},
            timeout=aiohttp.ClientTimeout(total=timeout),
            trust_env=info.trust_env,
        )
        return cls(info, session, relogin)

    async def close(self) -> None:
        await self._session.close()

    async def __aenter__(self) -> KubeApi:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def path(self, api_version: str, kind: str, namespace: str | None, name: str | None = None) -> str:
        """The URL path of one object, or of a collection (``name`` None), cluster-wide when ``namespace`` is None."""
        root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        path = f"{root}/{PLURALS[kind]}" if namespace is None else f"{root}/namespaces/{namespace}/{PLURALS[kind]}"
        return path if name is None else f"{path}/{name}"

    async def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        return await self.request("GET", self.path(api_version, kind, namespace, name), missing_ok=True)

    async def list(self, api_version: str, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of a kind in ``namespace`` (None: in every namespace)."""
        found = await self.request("GET", self.path(api_version, kind, namespace))
        return list((found or {}).get("items") or [])

    async def create(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Create a namespaced object (in its metadata.namespace) or a cluster-wide one (no namespace)."""
        path = self.path(manifest["apiVersion"], manifest["kind"], manifest["metadata"].get("namespace"))
        return await self.request("POST", f"{path}?fieldManager={names.MANAGER}", body=manifest) or {}

    async def version(self) -> dict[str, Any]:
        """The API server's version (``/version``): the cheapest way to see that it answers."""
        return await self.request("GET", "/version") or {}

    async def merge_patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Mapping[str, Any],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        path = self.path(api_version, kind, namespace, name) + (f"/{subresource}" if subresource else "")
        return (
            await self.request(
                "PATCH",
                f"{path}?fieldManager={names.MANAGER}",
                body=patch,
                content_type="application/merge-patch+json",
            )
            or {}
        )

    async def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> None:
        """Delete in the background (dependents go through the garbage collector); absent is fine."""
        path = self.path(api_version, kind, namespace, name)
        await self.request("DELETE", path, body={"propagationPolicy": "Background"}, missing_ok=True)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """One call to the API server (``path`` below its URL); the JSON answer, None for 404 with ``missing_ok``."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        try:
            for attempt in (1, 2):
                async with self._session.request(method, self._server + path, data=data, headers=headers) as response:
                    status, text = response.status, await response.text()
                if status == 401 and attempt == 1 and self._relogin is not None:
                    self.info = self._relogin()
                    self._session.headers.update(self.info.as_http_headers())
                    continue
                break
        except (aiohttp.ClientError, TimeoutError) as error:
            raise KubernetesError(f"{method} {path}: {error or type(error).__name__}", status=0) from error
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            raise KubernetesError(f"{method} {path}: {_message(status, text)}", status=status)
        result: dict[str, Any] = json.loads(text) if text else {}
        return result


def _message(status: int, text: str) -> str:
    """The message of a Kubernetes Status object, or the raw body when it is something else."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return f"HTTP {status}: {text[:200]}"
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return f"HTTP {status}: {message or text[:200]}"
