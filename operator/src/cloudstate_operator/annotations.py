"""Sidecar injection for plain Deployments: what their ``cloudstate.io/*`` annotations ask for (pure).

A Deployment opts in with ``cloudstate.io/enabled: "true"`` in its own
metadata. The other annotations are optional:

``cloudstate.io/stateful-store``
    the StatefulStore in the same namespace (absent: the in-memory store);
``cloudstate.io/database``
    a database that overrides the store's;
``cloudstate.io/user-container``
    the user function's container (absent: the first container);
``cloudstate.io/user-function-port``
    its port (absent: its first declared containerPort, else 8080);
``cloudstate.io/http-port``
    the proxy's client-facing port (absent: 9000);
``cloudstate.io/proxy-image``
    the proxy image (absent: the operator's default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.errors import InvalidSpec
from cloudstate_operator.injection import Sidecar, inject
from cloudstate_operator.specs import Ports
from cloudstate_operator.stores import StoreBinding


@dataclasses.dataclass(frozen=True)
class InjectionRequest:
    store: str | None
    database: str | None
    user_container: str | None
    ports: Ports
    image: str | None


def wants_sidecar(deployment: Mapping[str, Any]) -> bool:
    annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    return annotations.get(names.ENABLED_ANNOTATION) == "true"


def read_request(deployment: Mapping[str, Any]) -> InjectionRequest:
    """The injection a Deployment asks for; :class:`InvalidSpec` for an unusable annotation."""
    annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    user_container = annotations.get(names.USER_CONTAINER_ANNOTATION)
    candidates = [c for c in containers if c.get("name") != names.PROXY_CONTAINER]
    target = next((c for c in candidates if user_container in (None, c.get("name"))), None)
    declared = [p.get("containerPort") for p in (target or {}).get("ports") or [] if p.get("containerPort")]
    default_user_port = declared[0] if declared else Ports.user_function
    ports = Ports(
        user_function=_port(annotations, names.USER_PORT_ANNOTATION, default_user_port),
        http=_port(annotations, names.HTTP_PORT_ANNOTATION, Ports.http),
    )
    if len({ports.user_function, ports.http, ports.metrics, ports.management}) != 4:
        raise InvalidSpec(
            f"the user function's port {ports.user_function} and the proxy's ports "
            f"({ports.http}, {ports.metrics}, {ports.management}) must all differ"
        )
    return InjectionRequest(
        store=annotations.get(names.STORE_ANNOTATION) or None,
        database=annotations.get(names.DATABASE_ANNOTATION) or None,
        user_container=user_container,
        ports=ports,
        image=annotations.get(names.PROXY_IMAGE_ANNOTATION) or None,
    )


def _port(annotations: Mapping[str, str], key: str, default: int) -> int:
    raw = annotations.get(key)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise InvalidSpec(f"annotation {key}: {raw!r} is not a port number")
    return int(raw)


def injected_pod_spec(
    deployment: Mapping[str, Any], request: InjectionRequest, binding: StoreBinding, config: OperatorConfig
) -> dict[str, Any]:
    """The Deployment's pod spec with the proxy sidecar, built like a StatefulService's."""
    pod_spec = (((deployment.get("spec") or {}).get("template") or {}).get("spec")) or {}
    sidecar = Sidecar(
        image=request.image or config.proxy_image,
        pull_policy=config.proxy_image_pull_policy,
        resources=config.proxy_resources,
        ports=request.ports,
        binding=binding,
    )
    return inject(pod_spec, sidecar, request.user_container)
