"""Properties of the pure rendering: any valid spec gives valid, owned, labelled children with one proxy."""

from __future__ import annotations

import copy
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.injection import inject
from cloudstate_operator.manifests import CHILD_KINDS, Owner, desired_children, sidecar_for
from cloudstate_operator.reconcile import child_ref, differences, owned_fields, plan
from cloudstate_operator.specs import parse_service
from cloudstate_operator.stores import StoreSpec, bind, parse_store
from hypothesis import given, settings
from hypothesis import strategies as st
from operator_strategies import names as dns_names
from operator_strategies import service_specs, store_specs
from operator_support import validate_kubernetes

CONFIG = OperatorConfig()


@st.composite
def renderings(draw: st.DrawFn) -> tuple[dict[str, Any], Owner, StoreSpec, list[dict[str, Any]]]:
    raw = draw(service_specs())
    owner = Owner(name=draw(dns_names), namespace=draw(dns_names), uid=str(draw(st.uuids())))
    store = parse_store(draw(store_specs))
    spec = parse_service(owner.name, raw)
    binding = bind(spec.store, store if spec.store else None, spec.database)
    return raw, owner, store, desired_children(spec, owner, binding, CONFIG)


def by_kind(children: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {child["kind"]: child for child in children}


@settings(deadline=None)
@given(renderings())
def test_every_child_is_a_valid_kubernetes_object(rendering: Any) -> None:
    for child in rendering[3]:
        validate_kubernetes(child)


@given(renderings())
def test_every_child_is_owned_labelled_and_named_like_its_parent(rendering: Any) -> None:
    _, owner, _, children = rendering
    for child in children:
        meta = child["metadata"]
        assert meta["name"] == owner.name
        assert len(meta["name"]) <= names.MAX_NAME_LENGTH
        assert names.is_dns_label(meta["name"])
        assert meta["namespace"] == owner.namespace
        assert meta["labels"] == names.child_labels(owner.name)
        assert all(len(value) <= 63 for value in meta["labels"].values())
        [reference] = meta["ownerReferences"]
        assert reference == {
            "apiVersion": "cloudstate.io/v1alpha1",
            "kind": "StatefulService",
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


@given(renderings())
def test_the_proxy_is_injected_exactly_once_and_wired_to_the_user_function(rendering: Any) -> None:
    raw, owner, store, children = rendering
    spec = parse_service(owner.name, raw)
    pod = by_kind(children)["Deployment"]["spec"]["template"]["spec"]
    proxies = [c for c in pod["containers"] if c["name"] == names.PROXY_CONTAINER]
    assert len(proxies) == 1
    assert len(pod["containers"]) == len(raw["containers"]) + 1
    env = {e["name"]: e for e in proxies[0]["env"]}
    assert len(env) == len(proxies[0]["env"]), "no variable twice"
    assert env["USER_FUNCTION_PORT"]["value"] == str(spec.ports.user_function)
    assert env["HTTP_PORT"]["value"] == str(spec.ports.http)
    assert env["METRICS_PORT"]["value"] == str(spec.ports.metrics)
    assert env["MANAGEMENT_PORT"]["value"] == str(spec.ports.management)
    assert proxies[0]["readinessProbe"]["httpGet"] == {"path": "/ready", "port": names.MANAGEMENT_PORT_NAME}
    assert proxies[0]["livenessProbe"]["httpGet"] == {"path": "/alive", "port": names.MANAGEMENT_PORT_NAME}
    user = pod["containers"][0]
    assert [e["value"] for e in user["env"] if e["name"] == "PORT"] == [str(spec.ports.user_function)]
    postgres = spec.store is not None and "postgres" in str(type(store)).lower()
    assert env["STORE"]["value"].startswith("postgresql://" if postgres else "memory")
    assert ("PGPASSWORD" in env) == postgres
    if postgres:
        assert "value" not in env["PGPASSWORD"], "passwords only by reference"
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == store.password_key


@given(renderings())
def test_the_service_and_the_deployment_select_the_pods_and_name_real_ports(rendering: Any) -> None:
    children = by_kind(rendering[3])
    deployment, service = children["Deployment"], children["Service"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    declared = {p.get("name") for c in deployment["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= declared


@given(renderings())
def test_an_autoscaler_exactly_when_asked_for_and_aimed_at_the_scale_subresource(rendering: Any) -> None:
    raw, owner, _, children = rendering
    kinds = [child["kind"] for child in children]
    assert ("HorizontalPodAutoscaler" in kinds) == ("autoscaling" in raw)
    assert sorted(kinds) == sorted({kind for _, kind in CHILD_KINDS} & set(kinds))
    if "autoscaling" in raw:
        target = by_kind(children)["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
        assert target == {"apiVersion": "cloudstate.io/v1alpha1", "kind": "StatefulService", "name": owner.name}


@given(renderings())
def test_rendering_is_deterministic_and_shares_nothing_with_the_spec(rendering: Any) -> None:
    raw, owner, store, first = rendering
    pristine = copy.deepcopy(raw)
    spec = parse_service(owner.name, raw)
    binding = bind(spec.store, store if spec.store else None, spec.database)
    second = desired_children(spec, owner, binding, CONFIG)
    assert first == second
    second[-1]["spec"]["mutated"] = True
    second[0]["metadata"]["labels"]["mutated"] = "yes"
    assert desired_children(spec, owner, binding, CONFIG) == first
    assert raw == pristine


@given(renderings())
def test_injection_is_idempotent(rendering: Any) -> None:
    raw, owner, store, children = rendering
    spec = parse_service(owner.name, raw)
    sidecar = sidecar_for(spec, bind(spec.store, store if spec.store else None, spec.database), CONFIG)
    pod = by_kind(children)["Deployment"]["spec"]["template"]["spec"]
    assert inject(pod, sidecar) == pod


@given(renderings(), st.data())
def test_a_fresh_rendering_never_looks_like_drift_even_after_server_defaulting(
    rendering: Any, data: st.DataObject
) -> None:
    _, owner, _, children = rendering
    observed: dict[Any, Any] = {}
    for child in children:
        stored = copy.deepcopy(child)
        # What an API server adds: identity, defaults, status; and empty lists it leaves out.
        stored["metadata"] |= {"uid": "x", "resourceVersion": "7", "generation": 3, "managedFields": []}
        stored["status"] = {"observedGeneration": 3}
        if child["kind"] == "Service":
            stored["spec"] |= {"clusterIP": "10.0.0.1", "sessionAffinity": "None"}
        if child["kind"] == "Role" and data.draw(st.booleans()):
            del stored["rules"]
        observed[child_ref(child)] = stored
    for api_version, kind in CHILD_KINDS:
        observed.setdefault((api_version, kind, owner.name), None)
    result = plan(children, observed, owner_uid=owner.uid)
    assert (result.create, result.repair, result.delete, result.drifts) == ((), (), (), ())
    for child in children:
        assert differences(owned_fields(child), observed[child_ref(child)]) == []
