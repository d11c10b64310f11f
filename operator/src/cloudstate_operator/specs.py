"""StatefulService specs: parsed, defaulted and checked for what the schema cannot express (pure)."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.errors import InvalidSpec
from cloudstate_operator.fields import Fields

PULL_POLICIES = ("Always", "IfNotPresent", "Never")
#: The proxy's own duration syntax (PASSIVATION_TIMEOUT): a number of seconds, or with ms, s or m.
DURATION = re.compile(r"\d+(\.\d+)?(ms|s|m)?")
#: The name the first container gets when it has none (upstream's choice).
USER_FUNCTION = "user-function"


@dataclasses.dataclass(frozen=True)
class Ports:
    user_function: int = 8080
    http: int = 9000
    metrics: int = 9090
    management: int = 8558
    #: The port the Kubernetes Service exposes gRPC and HTTP on (forwarded to ``http``).
    service: int = 80


@dataclasses.dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    cpu_utilization: int


@dataclasses.dataclass(frozen=True)
class ProxyOptions:
    image: str | None = None
    pull_policy: str | None = None
    resources: Mapping[str, Any] | None = None
    passivation_timeout: str | None = None
    env: tuple[Mapping[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    name: str
    containers: tuple[Mapping[str, Any], ...]
    replicas: int = 1
    #: The StatefulStore's name; None for the in-memory store.
    store: str | None = None
    #: Overrides the store's database, so that several services can share one PostgreSQL server.
    database: str | None = None
    proxy: ProxyOptions = ProxyOptions()
    ports: Ports = Ports()
    autoscaling: Autoscaling | None = None


def parse_service(name: str, spec: object) -> ServiceSpec:
    """A StatefulService's spec, validated; :class:`InvalidSpec` says what is wrong."""
    if not names.is_dns_label(name):
        raise InvalidSpec(
            f"name {name!r} must be a DNS label of at most {names.MAX_NAME_LENGTH} characters "
            "(lower-case letters, digits and '-', starting with a letter): it names the Service and other children"
        )
    fields = Fields(spec, "spec")
    store = fields.obj("storeConfig")
    ports = _ports(fields.obj("ports"))
    service = ServiceSpec(
        name=name,
        containers=_containers(fields),
        replicas=fields.integer("replicas", 1, minimum=0),
        store=store.obj("statefulStore").string("name"),
        database=store.string("database"),
        proxy=_proxy(fields.obj("proxy")),
        ports=ports,
        autoscaling=_autoscaling(fields.obj("autoscaling")) if fields.has("autoscaling") else None,
    )
    _check_pod_ports(service)
    return service


def _containers(fields: Fields) -> tuple[Mapping[str, Any], ...]:
    raw = fields.objects("containers")
    if not raw:
        raise InvalidSpec("spec.containers must list at least one container (the user function first)")
    containers: list[dict[str, Any]] = []
    for index, container in enumerate(raw):
        path = f"spec.containers[{index}]"
        Fields(container, path).required_string("image")
        named = copy.deepcopy(dict(container))
        named.setdefault("name", USER_FUNCTION if index == 0 else f"{USER_FUNCTION}-{index}")
        if not isinstance(named["name"], str) or not names.is_dns_label(named["name"]):
            raise InvalidSpec(f"{path}.name must be a DNS label")
        if named["name"] == names.PROXY_CONTAINER:
            raise InvalidSpec(f"{path}.name {names.PROXY_CONTAINER!r} is reserved for the proxy sidecar")
        if any(other["name"] == named["name"] for other in containers):
            raise InvalidSpec(f"{path}.name {named['name']!r} is used twice")
        containers.append(named)
    return tuple(containers)


def _ports(fields: Fields) -> Ports:
    ports = Ports(
        user_function=fields.port("userFunction", Ports.user_function),
        http=fields.port("http", Ports.http),
        metrics=fields.port("metrics", Ports.metrics),
        management=fields.port("management", Ports.management),
        service=fields.port("service", Ports.service),
    )
    pod_ports = [ports.user_function, ports.http, ports.metrics, ports.management]
    if len(set(pod_ports)) != len(pod_ports):
        raise InvalidSpec("spec.ports: userFunction, http, metrics and management must be four different ports")
    return ports


def _proxy(fields: Fields) -> ProxyOptions:
    timeout = fields.string("passivationTimeout")
    if timeout is not None and not DURATION.fullmatch(timeout):
        raise InvalidSpec(f"spec.proxy.passivationTimeout {timeout!r} is not a duration (e.g. 30s, 500ms, 2m)")
    env = tuple(fields.objects("env"))
    for index, variable in enumerate(env):
        name = Fields(variable, f"spec.proxy.env[{index}]").required_string("name")
        if name in names.PROXY_ENV:
            raise InvalidSpec(f"spec.proxy.env[{index}]: {name} is set by the operator")
    resources = fields.obj("resources").value if fields.has("resources") else None
    return ProxyOptions(
        image=fields.string("image"),
        pull_policy=fields.choice("imagePullPolicy", PULL_POLICIES),
        resources=copy.deepcopy(dict(resources)) if resources is not None else None,
        passivation_timeout=timeout,
        env=tuple(copy.deepcopy(dict(variable)) for variable in env),
    )


def _autoscaling(fields: Fields) -> Autoscaling:
    scaling = Autoscaling(
        min_replicas=fields.integer("minReplicas", 1, minimum=1),
        max_replicas=fields.integer("maxReplicas", 10, minimum=1),
        cpu_utilization=fields.integer("targetCPUUtilizationPercentage", 80, minimum=1),
    )
    if scaling.min_replicas > scaling.max_replicas:
        raise InvalidSpec("spec.autoscaling.minReplicas must not exceed maxReplicas")
    return scaling


def _check_pod_ports(service: ServiceSpec) -> None:
    """The proxy shares the pod's network namespace: its ports and port names must be free."""
    taken = {service.ports.http, service.ports.metrics, service.ports.management}
    reserved_names = {names.HTTP_PORT_NAME, names.METRICS_PORT_NAME, names.MANAGEMENT_PORT_NAME}
    for index, container in enumerate(service.containers):
        for number, port in enumerate(Fields(container, f"spec.containers[{index}]").objects("ports")):
            path = f"spec.containers[{index}].ports[{number}]"
            if port.get("containerPort") in taken:
                raise InvalidSpec(f"{path}: port {port.get('containerPort')} is one of the proxy's ports")
            if port.get("name") in reserved_names:
                raise InvalidSpec(f"{path}: the port name {port.get('name')!r} is reserved for the proxy")
