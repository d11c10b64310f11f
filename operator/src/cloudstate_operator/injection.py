"""The proxy sidecar and how it goes into a pod spec (pure).

One function, :func:`inject`, serves both paths: the Deployment rendered for a
StatefulService and a plain Deployment that the admission webhook mutates. It
is idempotent: a pod spec that already has the sidecar gets it replaced, so the
proxy is always there exactly once, and ``PORT`` is set exactly once on the
user function's container.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.errors import InvalidSpec
from cloudstate_operator.specs import Ports
from cloudstate_operator.stores import IN_MEMORY, StoreBinding


@dataclasses.dataclass(frozen=True)
class Sidecar:
    """What the proxy container is made from."""

    image: str
    pull_policy: str = "IfNotPresent"
    resources: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    ports: Ports = dataclasses.field(default_factory=Ports)
    binding: StoreBinding = IN_MEMORY
    passivation_timeout: str | None = None
    extra_env: tuple[Mapping[str, Any], ...] = ()


def proxy_container(sidecar: Sidecar) -> dict[str, Any]:
    ports = sidecar.ports
    env: list[dict[str, Any]] = [
        {"name": "HTTP_PORT", "value": str(ports.http)},
        # Same pod, same network namespace: the user function listens on loopback (its HOST default).
        {"name": "USER_FUNCTION_HOST", "value": "127.0.0.1"},
        {"name": "USER_FUNCTION_PORT", "value": str(ports.user_function)},
        {"name": "METRICS_PORT", "value": str(ports.metrics)},
        {"name": "MANAGEMENT_PORT", "value": str(ports.management)},
        {"name": "STORE", "value": sidecar.binding.url},
    ]
    if sidecar.passivation_timeout is not None:
        env.append({"name": "PASSIVATION_TIMEOUT", "value": sidecar.passivation_timeout})
    env += [copy.deepcopy(dict(variable)) for variable in (*sidecar.binding.env, *sidecar.extra_env)]
    container: dict[str, Any] = {
        "name": names.PROXY_CONTAINER,
        "image": sidecar.image,
        "imagePullPolicy": sidecar.pull_policy,
        "ports": [
            {"name": names.HTTP_PORT_NAME, "containerPort": ports.http, "protocol": "TCP"},
            {"name": names.METRICS_PORT_NAME, "containerPort": ports.metrics, "protocol": "TCP"},
            {"name": names.MANAGEMENT_PORT_NAME, "containerPort": ports.management, "protocol": "TCP"},
        ],
        "env": env,
        # /ready turns 200 only after discovery succeeded and the store answered (spec/01-transport.md);
        # /alive answers from the start, so a slow discovery never restarts the pod.
        "readinessProbe": _probe("/ready", period=5, failures=3),
        "livenessProbe": _probe("/alive", period=10, failures=5),
        "resources": copy.deepcopy(dict(sidecar.resources)),
        # The proxy image runs as a numeric non-root user and writes no files.
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if sidecar.binding.mounts:
        container["volumeMounts"] = [copy.deepcopy(dict(mount)) for mount in sidecar.binding.mounts]
    return container


def _probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": names.MANAGEMENT_PORT_NAME},
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def inject(pod_spec: Mapping[str, Any], sidecar: Sidecar, user_container: str | None = None) -> dict[str, Any]:
    """A copy of ``pod_spec`` with the proxy sidecar in it and ``PORT`` on the user function's container.

    ``user_container`` names the user function's container; None means the first
    container that is not the proxy.
    """
    spec = copy.deepcopy(dict(pod_spec))
    containers = [c for c in spec.get("containers") or [] if c.get("name") != names.PROXY_CONTAINER]
    if not containers:
        raise InvalidSpec("the pod has no container for the user function")
    target = (
        containers[0]
        if user_container is None
        else next((c for c in containers if c.get("name") == user_container), None)
    )
    if target is None:
        raise InvalidSpec(f"the pod has no container named {user_container!r}")
    target["env"] = [e for e in target.get("env") or [] if e.get("name") != "PORT"]
    target["env"].append({"name": "PORT", "value": str(sidecar.ports.user_function)})
    spec["containers"] = [*containers, proxy_container(sidecar)]
    volumes = [v for v in spec.get("volumes") or [] if v.get("name") != names.TLS_VOLUME]
    volumes += [copy.deepcopy(dict(volume)) for volume in sidecar.binding.volumes]
    if volumes:
        spec["volumes"] = volumes
    else:
        spec.pop("volumes", None)
    return spec
