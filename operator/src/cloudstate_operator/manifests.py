"""What a StatefulService should own: its child manifests, rendered from the spec alone (pure).

Every child is named like the StatefulService, carries :func:`names.child_labels`
and a controller owner reference to it, so Kubernetes' garbage collector
deletes it with its parent. Rendering has no inputs besides its arguments, so
rendering twice gives equal manifests and a drifted child can be compared
against a fresh rendering at any time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.injection import Sidecar, inject
from cloudstate_operator.specs import ServiceSpec
from cloudstate_operator.stores import StoreBinding

Manifest = dict[str, Any]

#: (apiVersion, kind) of every child a StatefulService can have, in the order they are created.
CHILD_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
)


@dataclasses.dataclass(frozen=True)
class Owner:
    """The StatefulService object the children belong to."""

    name: str
    namespace: str
    uid: str


def owner_reference(owner: Owner) -> dict[str, Any]:
    return {
        "apiVersion": names.API_VERSION,
        "kind": names.SERVICE_KIND,
        "name": owner.name,
        "uid": owner.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def sidecar_for(service: ServiceSpec, binding: StoreBinding, config: OperatorConfig) -> Sidecar:
    proxy = service.proxy
    return Sidecar(
        image=proxy.image or config.proxy_image,
        pull_policy=proxy.pull_policy or config.proxy_image_pull_policy,
        resources=proxy.resources if proxy.resources is not None else config.proxy_resources,
        ports=service.ports,
        binding=binding,
        passivation_timeout=proxy.passivation_timeout,
        extra_env=proxy.env,
    )


def desired_children(
    service: ServiceSpec, owner: Owner, binding: StoreBinding, config: OperatorConfig
) -> list[Manifest]:
    """The children in creation order (the HorizontalPodAutoscaler only with spec.autoscaling)."""
    children = [
        _service_account(service),
        _role(service),
        _role_binding(service, owner),
        _service(service),
        _deployment(service, binding, config),
    ]
    if service.autoscaling is not None:
        children.append(_autoscaler(service))
    for child in children:
        child["metadata"] = {
            "name": service.name,
            "namespace": owner.namespace,
            "labels": names.child_labels(service.name),
            "ownerReferences": [owner_reference(owner)],
        }
    return children


def _service_account(service: ServiceSpec) -> Manifest:
    # Neither container calls the Kubernetes API (see _role), so no token is mounted into the pods.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False}


def _role(service: ServiceSpec) -> Manifest:
    # Deliberately empty. Upstream's proxy read pods (Akka cluster bootstrap) and scaled Deployments
    # (its own autoscaler); this proxy does neither: replicas share state only through the store,
    # and scaling is the HorizontalPodAutoscaler's job. The Role exists so that the service has a
    # named, auditable identity that an administrator can grant more to, without touching the operator.
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "rules": []}


def _role_binding(service: ServiceSpec, owner: Owner) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": service.name},
        "subjects": [{"kind": "ServiceAccount", "name": service.name, "namespace": owner.namespace}],
    }


def _service(service: ServiceSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector(service.name),
            "ports": [
                {
                    "name": names.HTTP_PORT_NAME,
                    "port": service.ports.service,
                    "targetPort": names.HTTP_PORT_NAME,
                    "protocol": "TCP",
                },
                {
                    "name": names.METRICS_PORT_NAME,
                    "port": service.ports.metrics,
                    "targetPort": names.METRICS_PORT_NAME,
                    "protocol": "TCP",
                },
            ],
        },
    }


def _deployment(service: ServiceSpec, binding: StoreBinding, config: OperatorConfig) -> Manifest:
    pod = {
        "serviceAccountName": service.name,
        "automountServiceAccountToken": False,
        "containers": [dict(container) for container in service.containers],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {
            "replicas": service.replicas,
            "selector": {"matchLabels": names.selector(service.name)},
            "template": {
                "metadata": {
                    "labels": names.child_labels(service.name),
                    "annotations": {names.RENDERED_STORE_ANNOTATION: binding.store or "in-memory"},
                },
                "spec": inject(pod, sidecar_for(service, binding, config)),
            },
        },
    }


def _autoscaler(service: ServiceSpec) -> Manifest:
    assert service.autoscaling is not None
    scaling = service.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "spec": {
            # The StatefulService's scale subresource, not the Deployment: the operator owns the
            # Deployment's replicas and would undo every change the autoscaler made to it.
            "scaleTargetRef": {"apiVersion": names.API_VERSION, "kind": names.SERVICE_KIND, "name": service.name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization},
                    },
                }
            ],
        },
    }
