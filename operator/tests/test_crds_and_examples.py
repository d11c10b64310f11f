"""The YAML in deploy/: CRDs, the operator's own manifests, the webhook and the examples."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudstate_operator import names
from cloudstate_operator.annotations import injected_pod_spec, read_request, wants_sidecar
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.events import event_manifest
from cloudstate_operator.handlers import CHILDREN
from cloudstate_operator.manifests import Owner, desired_children
from cloudstate_operator.specs import Ports, parse_service
from cloudstate_operator.stores import IN_MEMORY, Postgres, bind, parse_store
from operator_support import (
    CRDS,
    DEPLOY,
    EXAMPLES,
    crd_schema,
    load_all,
    validate_any,
    validate_custom,
    validate_kubernetes,
)

CERT_MANAGER = "cert-manager.io/v1"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.yaml"))


def documents(*paths: Path) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in load_all(path)]


def example(kind: str) -> dict[str, Any]:
    [found] = [doc for doc in documents(*EXAMPLE_FILES) if doc["kind"] == kind]
    return found


@pytest.mark.parametrize("path", sorted(CRDS.glob("*.yaml")), ids=lambda p: p.name)
def test_each_crd_is_a_valid_apiextensions_v1_crd(path: Path) -> None:
    [crd] = load_all(path)
    validate_kubernetes(crd)
    assert crd["spec"]["group"] == names.GROUP
    [version] = crd["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == (names.VERSION, True, True)
    assert "status" in version["subresources"]
    assert crd["metadata"]["name"] == f"{crd['spec']['names']['plural']}.{names.GROUP}"
    assert {column["name"] for column in version["additionalPrinterColumns"]} >= {"Age"}


def test_the_service_crd_has_a_scale_subresource_matching_the_status() -> None:
    [crd] = load_all(CRDS / "statefulservices.yaml")
    scale = crd["spec"]["versions"][0]["subresources"]["scale"]
    assert scale == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    status = crd_schema(names.SERVICE_KIND)["properties"]["status"]["properties"]
    assert {"replicas", "readyReplicas", "selector", "observedGeneration", "conditions"} <= set(status)


def test_crd_defaults_agree_with_the_operators_defaults() -> None:
    spec = crd_schema(names.SERVICE_KIND)["properties"]["spec"]["properties"]
    ports = {key: value["default"] for key, value in spec["ports"]["properties"].items()}
    assert ports == {"userFunction": Ports.user_function, "http": Ports.http, "metrics": Ports.metrics,
                     "management": Ports.management, "service": Ports.service}  # fmt: skip
    assert spec["replicas"]["default"] == parse_service("x", {"containers": [{"image": "i"}]}).replicas
    postgres = crd_schema(names.STORE_KIND)["properties"]["spec"]["properties"]["postgres"]["properties"]
    defaults = Postgres(host="h")
    assert postgres["port"]["default"] == defaults.port
    assert postgres["database"]["default"] == defaults.database
    assert postgres["tls"]["properties"]["mode"]["default"] == defaults.tls_mode
    assert postgres["credentials"]["properties"]["usernameKey"]["default"] == defaults.username_key


@pytest.mark.parametrize("path", [*EXAMPLE_FILES, DEPLOY / "operator.yaml"], ids=lambda p: p.name)
def test_every_example_and_operator_manifest_is_valid(path: Path) -> None:
    for document in load_all(path):
        validate_any(document)


def test_the_webhook_manifests_are_valid_and_agree_with_the_operator() -> None:
    docs = {doc["kind"]: doc for doc in load_all(DEPLOY / "webhook.yaml")}
    for doc in docs.values():
        if doc["apiVersion"] != CERT_MANAGER:  # no schema ships for cert-manager's kinds
            validate_kubernetes(doc)
    [hook] = docs["MutatingWebhookConfiguration"]["webhooks"]
    assert hook["clientConfig"]["service"]["path"] == "/inject-proxy"  # kopf serves a handler under its id
    assert hook["failurePolicy"] == "Ignore"
    assert hook["clientConfig"]["service"]["name"] == docs["Service"]["metadata"]["name"]
    operator = {doc["kind"]: doc for doc in load_all(DEPLOY / "operator.yaml")}["Deployment"]
    pod = operator["spec"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == docs["Certificate"]["spec"]["secretName"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    port = next(
        p for p in pod["containers"][0]["ports"] if p["name"] == docs["Service"]["spec"]["ports"][0]["targetPort"]
    )
    assert env["CLOUDSTATE_WEBHOOK_PORT"] == str(port["containerPort"])
    assert OperatorConfig.from_env(env).webhook is not None


def test_the_cluster_role_grants_every_call_the_operator_makes() -> None:
    role = {doc["kind"]: doc for doc in load_all(DEPLOY / "operator.yaml")}["ClusterRole"]
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    needed = {
        (group, plural, verb)
        for group, _, plural in CHILDREN
        for verb in ("get", "list", "watch", "create", "patch", "delete")
    }
    needed |= {
        (names.GROUP, plural, verb)
        for plural in (names.SERVICE_PLURAL, names.STORE_PLURAL)
        for verb in ("get", "list", "watch", "patch")
    }
    needed |= {(names.GROUP, f"{plural}/status", "patch") for plural in (names.SERVICE_PLURAL, names.STORE_PLURAL)}
    needed |= {("", "secrets", "get"), ("", "events", "create")}
    assert needed - granted == set()
    assert ("", "secrets", "list") not in granted, "credentials are read one by one, never listed"


def test_the_examples_render_into_valid_children() -> None:
    store = parse_store(example(names.STORE_KIND)["spec"])
    assert isinstance(store, Postgres)
    service = parse_service("shopping-cart", example(names.SERVICE_KIND)["spec"])
    assert service.store == example(names.STORE_KIND)["metadata"]["name"]
    secret = example("Secret")
    assert {store.username_key, store.password_key} <= set(secret["stringData"])
    assert store.secret == secret["metadata"]["name"]
    children = desired_children(
        service, Owner("shopping-cart", "shop", "u"), bind(service.store, store), OperatorConfig()
    )
    assert [child["kind"] for child in children][-1] == "HorizontalPodAutoscaler"
    for child in children:
        validate_kubernetes(child)


def test_the_injected_deployment_example_renders_a_valid_deployment() -> None:
    [deployment] = load_all(EXAMPLES / "injected-deployment.yaml")
    assert wants_sidecar(deployment)
    request = read_request(deployment)
    mutated = copy.deepcopy(deployment)
    mutated["spec"]["template"]["spec"] = injected_pod_spec(deployment, request, IN_MEMORY, OperatorConfig())
    validate_kubernetes(mutated)
    assert [c["name"] for c in mutated["spec"]["template"]["spec"]["containers"]] == [
        "user-function",
        "cloudstate-proxy",
    ]


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        (names.STORE_KIND, lambda spec: spec.update(inMemory={})),  # both kinds of store
        (names.STORE_KIND, lambda spec: spec.pop("postgres")),  # neither
        (names.STORE_KIND, lambda spec: spec["postgres"]["tls"].update(mode="sometimes")),
        (names.STORE_KIND, lambda spec: spec["postgres"].pop("host")),
        (names.SERVICE_KIND, lambda spec: spec.update(containers=[])),
        (names.SERVICE_KIND, lambda spec: spec["containers"][0].pop("image")),
        (names.SERVICE_KIND, lambda spec: spec["proxy"].update(passivationTimeout="half a minute")),
        (names.SERVICE_KIND, lambda spec: spec.update(replicas=-1)),
        (names.SERVICE_KIND, lambda spec: spec.update(ports={"http": 0})),
        (names.SERVICE_KIND, lambda spec: spec["proxy"].update(resources={"limits": {"cpu": "lots"}})),
    ],
)
def test_the_crd_schemas_reject_broken_resources(kind: str, change: Any) -> None:
    resource = copy.deepcopy(example(kind))
    validate_custom(resource)
    change(resource["spec"])
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(resource)


def test_the_kubernetes_schemas_reject_unknown_fields() -> None:
    children = desired_children(
        parse_service("cart", {"containers": [{"image": "i"}]}), Owner("cart", "ns", "u"), IN_MEMORY, OperatorConfig()
    )
    deployment = children[4]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(jsonschema.ValidationError, match="imagePullPolicyy"):
        validate_kubernetes(deployment)


def test_the_operators_events_are_valid_and_short_enough() -> None:
    involved = {"apiVersion": "cloudstate.io/v1alpha1", "kind": "StatefulService",
                "metadata": {"name": "cart", "namespace": "shop", "uid": "u-1"}}  # fmt: skip
    event = event_manifest(involved, "Warning", "DriftRepaired", "x" * 5000, now="2026-01-01T00:00:00Z")
    validate_kubernetes(event)
    assert len(event["message"]) == 1024
    assert event["involvedObject"] == {"apiVersion": "cloudstate.io/v1alpha1", "kind": "StatefulService",
                                       "name": "cart", "namespace": "shop", "uid": "u-1"}  # fmt: skip
    assert event["metadata"] == {"generateName": "cart.", "namespace": "shop"}
