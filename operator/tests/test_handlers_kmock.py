"""The handlers, run by kopf against an emulated Kubernetes API: create, update, drift, delete and errors."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import kmock
import pytest
from cloudstate_operator.config import OperatorConfig
from conftest import running_operator
from operator_harness import Cluster, Harness
from operator_support import validate_custom, validate_status

SS = ("cloudstate.io/v1alpha1", "StatefulService")
STORE = ("cloudstate.io/v1alpha1", "StatefulStore")
DEPLOYMENT = ("apps/v1", "Deployment")
SERVICE = ("v1", "Service")
HPA = ("autoscaling/v2", "HorizontalPodAutoscaler")
CHILDREN = [("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"), SERVICE, DEPLOYMENT]  # fmt: skip


def stateful_service(name: str = "cart", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": SS[0],
        "kind": SS[1],
        "metadata": {"name": name},
        "spec": {"containers": [{"image": "cloudstate/sdk-examples:0.1.0", "args": ["shoppingcart"]}], **spec},
    }


def postgres_store(secret: str = "pg-creds") -> dict[str, Any]:
    return {
        "apiVersion": STORE[0],
        "kind": STORE[1],
        "metadata": {"name": "pg"},
        "spec": {"postgres": {"host": "postgres", "database": "carts", "credentials": {"secret": {"name": secret}}}},
    }


def secret(name: str = "pg-creds", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}


def condition(resource: dict[str, Any] | None, kind: str) -> tuple[str, str] | None:
    for item in ((resource or {}).get("status") or {}).get("conditions") or []:
        if item["type"] == kind:
            return item["status"], item["reason"]
    return None


async def condition_becomes(
    k8s: Harness, ref: tuple[str, str], name: str, kind: str, expected: tuple[str, str]
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await k8s.get(*ref, name)
        return found if condition(found, kind) == expected else None

    return await k8s.eventually(probe, f"{ref[1]}/{name} {kind}={expected}")


async def event_with(k8s: Harness, name: str, reason: str, text: str = "") -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = [e for e in await k8s.events(name) if e["reason"] == reason and text in e["message"]]
        return found[-1] if found else None

    return await k8s.eventually(probe, f"an event {reason} about {name} saying {text!r}")


async def bookkeeping(k8s: Harness, name: str) -> dict[str, str]:
    """kopf's annotations on the StatefulService, by key without the prefix."""
    annotations = ((await k8s.get(*SS, name)) or {}).get("metadata", {}).get("annotations") or {}
    prefix = "operator.cloudstate.io/"
    return {key.removeprefix(prefix): value for key, value in annotations.items() if key.startswith(prefix)}


async def children_of(k8s: Harness, name: str) -> dict[str, dict[str, Any]]:
    async def probe() -> dict[str, dict[str, Any]] | None:
        found = {ref[1]: await k8s.get(*ref, name) for ref in CHILDREN}
        return None if None in found.values() else found  # type: ignore[return-value]

    return await k8s.eventually(probe, f"the children of {name}")


async def deployment_reports(k8s: Harness, name: str, replicas: int) -> None:
    """Play the Deployment controller: every replica up to date and ready."""
    status = {"observedGeneration": 99, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas}
    await k8s.patch(*DEPLOYMENT, name, {"status": status}, subresource="status")


def proxy(deployment: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    [sidecar] = [c for c in found if c["name"] == "cloudstate-proxy"]
    return sidecar


async def test_create_makes_owned_children_and_reports_ready_once_the_pods_are(operator: Harness) -> None:
    k8s = operator
    parent = await k8s.create(stateful_service(replicas=2))
    children = await children_of(k8s, "cart")
    for child in children.values():
        [owner] = child["metadata"]["ownerReferences"]
        assert (owner["uid"], owner["kind"], owner["controller"]) == (
            parent["metadata"]["uid"],
            "StatefulService",
            True,
        )
    env = {e["name"]: e.get("value") for e in proxy(children["Deployment"])["env"]}
    assert env["STORE"] == "memory"
    await condition_becomes(k8s, SS, "cart", "Progressing", ("True", "RollingOut"))
    await event_with(k8s, "cart", "Created", "Deployment/cart")

    await deployment_reports(k8s, "cart", 2)
    ready = await condition_becomes(k8s, SS, "cart", "Ready", ("True", "AllReplicasReady"))
    status = ready["status"]
    assert (status["replicas"], status["readyReplicas"], status["store"]) == (2, 2, "in-memory")
    assert status["selector"] == "cloudstate.io/stateful-service=cart"
    assert condition(ready, "StoreUnavailable") == ("False", "InMemory")
    assert sorted(status["children"]) == sorted(f"{kind}/cart" for _, kind in CHILDREN)
    assert "finalizers" not in ready["metadata"], "deletion never waits for the operator"
    validate_custom(ready)


async def test_a_postgres_store_is_wired_through_the_url_and_secret_references(operator: Harness) -> None:
    k8s = operator
    await k8s.create(secret(username="cart", password="s3cret:/@"))
    await k8s.create(postgres_store())
    await k8s.create(stateful_service(storeConfig={"statefulStore": {"name": "pg"}}))
    children = await children_of(k8s, "cart")
    env = {e["name"]: e for e in proxy(children["Deployment"])["env"]}
    assert env["STORE"]["value"] == "postgresql://postgres:5432/carts?sslmode=prefer"
    assert env["PGPASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "pg-creds", "key": "password"}}
    assert "s3cret" not in str(children["Deployment"])
    store = await condition_becomes(k8s, STORE, "pg", "Ready", ("True", "Valid"))
    assert store["status"]["type"] == "PostgreSQL"
    validate_custom(store)
    service = await condition_becomes(k8s, SS, "cart", "StoreUnavailable", ("False", "StoreResolved"))
    assert service["status"]["store"] == "pg"


async def test_a_spec_change_reaches_the_children(operator: Harness) -> None:
    k8s = operator
    await k8s.create(stateful_service())
    await children_of(k8s, "cart")
    await k8s.patch(
        *SS, "cart", {"spec": {"replicas": 3, "proxy": {"image": "proxy:next"}, "autoscaling": {"maxReplicas": 4}}}
    )

    async def updated() -> dict[str, Any] | None:
        found = await k8s.get(*DEPLOYMENT, "cart")
        return found if found and found["spec"]["replicas"] == 3 and proxy(found)["image"] == "proxy:next" else None

    await k8s.eventually(updated, "the Deployment to follow the spec")
    hpa = await k8s.eventually(lambda: k8s.get(*HPA, "cart"), "the autoscaler")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "StatefulService"
    assert hpa["spec"]["maxReplicas"] == 4

    await k8s.patch(*SS, "cart", {"spec": {"autoscaling": None}})

    async def gone() -> bool:
        return await k8s.get(*HPA, "cart") is None

    await k8s.eventually(gone, "the autoscaler to be deleted")
    await event_with(k8s, "cart", "Deleted", "HorizontalPodAutoscaler/cart")


async def test_an_edited_child_is_put_back_and_the_drift_reported(operator: Harness) -> None:
    k8s = operator
    await k8s.create(stateful_service())
    deployment = (await children_of(k8s, "cart"))["Deployment"]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    hacked = [{**c, "image": "someone/else:1"} if c["name"] == "cloudstate-proxy" else c for c in containers]
    await k8s.patch(*DEPLOYMENT, "cart", {"spec": {"replicas": 7, "template": {"spec": {"containers": hacked}}}})

    async def repaired() -> dict[str, Any] | None:
        found = await k8s.get(*DEPLOYMENT, "cart")
        return (
            found
            if found and found["spec"]["replicas"] == 1 and proxy(found)["image"] == proxy(deployment)["image"]
            else None
        )

    await k8s.eventually(repaired, "the Deployment to be put back")
    event = await event_with(k8s, "cart", "DriftRepaired", "Deployment/cart was changed")
    assert event["type"] == "Warning"
    assert "spec.replicas" in event["message"]

    async def reported() -> dict[str, Any] | None:
        found = await k8s.get(*SS, "cart")
        drift = ((found or {}).get("status") or {}).get("lastDrift") or {}
        return drift if any("Deployment/cart" in change for change in drift.get("changes", [])) else None

    await k8s.eventually(reported, "the drift in the status")


async def test_a_deleted_child_is_recreated(operator: Harness) -> None:
    k8s = operator
    await k8s.create(stateful_service())
    await children_of(k8s, "cart")
    await condition_becomes(k8s, SS, "cart", "Progressing", ("True", "RollingOut"))  # the inventory is written
    await k8s.delete(*SERVICE, "cart")
    await k8s.eventually(lambda: k8s.get(*SERVICE, "cart"), "the Service to come back")
    await event_with(k8s, "cart", "DriftRepaired", "Service/cart was deleted")


async def test_deleting_the_parent_leaves_its_children_to_the_garbage_collector(operator: Harness) -> None:
    k8s = operator
    parent = await k8s.create(stateful_service())
    await children_of(k8s, "cart")
    await k8s.delete(*SS, "cart")
    assert await k8s.get(*SS, "cart") is None, "gone at once: the operator puts no finalizer on it"
    collected = await k8s.collect_garbage(parent["metadata"]["uid"])
    assert len(collected) == len(CHILDREN)
    # Another service, created after the deletions, shows the operator has processed them by now.
    await k8s.create(stateful_service("sentinel"))
    await children_of(k8s, "sentinel")
    for ref in CHILDREN:
        assert await k8s.get(*ref, "cart") is None, f"{ref[1]} was brought back for a deleted parent"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"containers": []}, "at least one container"),
        ({"replicas": -2}, "spec.replicas must be at least 0"),
        ({"proxy": {"env": [{"name": "STORE", "value": "elsewhere"}]}}, "STORE is set by the operator"),
    ],
)
async def test_an_invalid_spec_is_reported_and_not_retried(
    operator: Harness, spec: dict[str, Any], message: str
) -> None:
    k8s = operator
    await k8s.create(stateful_service(**spec))
    found = await condition_becomes(k8s, SS, "cart", "Degraded", ("True", "InvalidSpec"))
    assert message in next(c["message"] for c in found["status"]["conditions"] if c["type"] == "Ready")
    assert condition(found, "Ready") == ("False", "InvalidSpec")
    event = await event_with(k8s, "cart", "InvalidSpec", message)
    assert event["type"] == "Warning"
    assert await k8s.get(*DEPLOYMENT, "cart") is None
    validate_status(found)

    async def given_up() -> bool:
        # A permanent failure ends kopf's handling cycle: it records the spec as handled, keeps no retry state.
        return set(await bookkeeping(k8s, "cart")) == {"kopf-managed", "last-handled-configuration"}

    await k8s.eventually(given_up, "kopf to give up on the handler")


async def test_the_periodic_recheck_repairs_what_no_event_announced(cluster: Cluster, config: OperatorConfig) -> None:
    fast = dataclasses.replace(config, resync_interval=0.3)
    async with running_operator(fast), aiohttp.ClientSession(base_url=config.api_server) as http:
        k8s = Harness(cluster, http)
        await k8s.create(stateful_service())
        await children_of(k8s, "cart")
        # Changed behind the API's back: no watch event, so only the re-check can notice.
        cluster.objects[kmock.resource("apps", "v1", "deployments"), "shop", "cart"].patch({"spec": {"replicas": 9}})
        assert ((await k8s.get(*DEPLOYMENT, "cart")) or {})["spec"]["replicas"] == 9

        async def repaired() -> bool:
            replicas: int = ((await k8s.get(*DEPLOYMENT, "cart")) or {})["spec"]["replicas"]
            return replicas == 1

        await k8s.eventually(repaired, "the re-check to put the replicas back")
        await event_with(k8s, "cart", "DriftRepaired", "spec.replicas")


async def test_a_child_the_api_server_refuses_makes_the_spec_invalid(operator: Harness) -> None:
    k8s = operator
    # The CRD keeps containers' fields as they are; the API server checks them when the Deployment is made.
    container = {"image": "cart", "ports": [{"containerPort": "eighty"}]}
    await k8s.create(stateful_service(containers=[container]))
    found = await condition_becomes(k8s, SS, "cart", "Degraded", ("True", "InvalidSpec"))
    message = next(c["message"] for c in found["status"]["conditions"] if c["type"] == "Degraded")
    assert message.startswith("Kubernetes refused Deployment/cart: ")
    assert "'eighty' is not of type 'integer'" in message
    assert await k8s.get(*SERVICE, "cart") is not None, "the children made before the refusal stay"


async def test_fixing_an_invalid_spec_recovers(operator: Harness) -> None:
    k8s = operator
    await k8s.create(stateful_service(replicas=-1))
    await condition_becomes(k8s, SS, "cart", "Degraded", ("True", "InvalidSpec"))
    await k8s.patch(*SS, "cart", {"spec": {"replicas": 1}})
    await children_of(k8s, "cart")
    await condition_becomes(k8s, SS, "cart", "Degraded", ("False", "AsExpected"))


async def test_a_missing_store_is_waited_for(operator: Harness) -> None:
    k8s = operator
    await k8s.create(stateful_service(storeConfig={"statefulStore": {"name": "pg"}}))
    found = await condition_becomes(k8s, SS, "cart", "StoreUnavailable", ("True", "StoreNotFound"))
    assert condition(found, "Ready") == ("False", "StoreUnavailable")
    await event_with(k8s, "cart", "StoreNotFound", "StatefulStore 'pg' not found")
    assert await k8s.get(*DEPLOYMENT, "cart") is None

    async def retrying() -> bool:
        return any('"delayed"' in value for value in (await bookkeeping(k8s, "cart")).values())

    await k8s.eventually(retrying, "kopf to schedule a retry")
    await k8s.create({"apiVersion": STORE[0], "kind": STORE[1], "metadata": {"name": "pg"}, "spec": {"inMemory": {}}})
    await children_of(k8s, "cart")
    await condition_becomes(k8s, SS, "cart", "StoreUnavailable", ("False", "InMemory"))


async def test_a_missing_secret_is_waited_for(operator: Harness) -> None:
    k8s = operator
    await k8s.create(postgres_store())
    await k8s.create(stateful_service(storeConfig={"statefulStore": {"name": "pg"}}))
    await condition_becomes(k8s, SS, "cart", "StoreUnavailable", ("True", "SecretNotFound"))
    await condition_becomes(k8s, STORE, "pg", "Ready", ("False", "SecretNotFound"))
    await event_with(k8s, "pg", "SecretNotFound", "Secret 'pg-creds'")
    await k8s.create(secret(username="cart", password="pw"))
    await children_of(k8s, "cart")
    await condition_becomes(k8s, STORE, "pg", "Ready", ("True", "Valid"))


async def test_a_secret_without_the_password_key_is_reported(operator: Harness) -> None:
    k8s = operator
    await k8s.create(secret(username="cart"))
    await k8s.create(postgres_store())
    await k8s.create(stateful_service(storeConfig={"statefulStore": {"name": "pg"}}))
    found = await condition_becomes(k8s, SS, "cart", "StoreUnavailable", ("True", "SecretKeyMissing"))
    assert "has no key 'password'" in next(
        c["message"] for c in found["status"]["conditions"] if c["type"] == "StoreUnavailable"
    )


async def test_a_child_name_taken_by_another_object_is_a_conflict(operator: Harness) -> None:
    k8s = operator
    theirs = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "cart", "labels": {"team": "other"}},
              "spec": {"ports": [{"port": 1}]}}  # fmt: skip
    await k8s.create(theirs)
    await k8s.create(stateful_service())
    await condition_becomes(k8s, SS, "cart", "Degraded", ("True", "ChildConflict"))
    await event_with(k8s, "cart", "ChildConflict", "Service/cart")
    untouched = await k8s.get(*SERVICE, "cart")
    assert untouched is not None
    assert untouched["spec"]["ports"] == [{"port": 1}]
    assert "ownerReferences" not in untouched["metadata"]
