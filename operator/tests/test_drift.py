"""Drift detection and reconciliation plans (reconcile.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.manifests import CHILD_KINDS, Owner, desired_children
from cloudstate_operator.quantities import parse_quantity, same_quantity
from cloudstate_operator.reconcile import Drift, child_ref, differences, plan
from cloudstate_operator.specs import parse_service
from cloudstate_operator.stores import IN_MEMORY

OWNER = Owner("cart", "shop", "uid-1")


def render(**spec: Any) -> list[dict[str, Any]]:
    service = parse_service("cart", {"containers": [{"image": "cart"}], **spec})
    return desired_children(service, OWNER, IN_MEMORY, OperatorConfig())


def observed_as(children: list[dict[str, Any]]) -> dict[Any, Any]:
    found: dict[Any, Any] = {(v, k, "cart"): None for v, k in CHILD_KINDS}
    found.update({child_ref(child): copy.deepcopy(child) for child in children})
    return found


def test_nothing_to_do_when_everything_is_in_line() -> None:
    children = render()
    result = plan(children, observed_as(children), owner_uid="uid-1")
    assert (result.create, result.repair, result.delete, result.drifts, result.conflicts) == ((), (), (), (), ())


def test_new_children_are_created_without_counting_as_drift() -> None:
    children = render()
    result = plan(children, observed_as([]), owner_uid="uid-1")
    assert [c["kind"] for c in result.create] == ["ServiceAccount", "Role", "RoleBinding", "Service", "Deployment"]
    assert result.drifts == ()


def test_a_known_child_that_vanished_is_drift_and_recreated() -> None:
    children = render()
    observed = observed_as(children)
    observed[("v1", "Service", "cart")] = None
    result = plan(children, observed, owner_uid="uid-1", known=frozenset({"Service/cart"}))
    assert [c["kind"] for c in result.create] == ["Service"]
    assert result.drifts == (Drift("Service/cart"),)
    assert result.drifts[0].describe() == "Service/cart was deleted"


def test_an_edited_child_is_repaired_with_a_merge_patch_of_the_rendered_fields() -> None:
    children = render()
    observed = observed_as(children)
    deployment = observed[("apps/v1", "Deployment", "cart")]
    deployment["spec"]["replicas"] = 5
    deployment["spec"]["template"]["spec"]["containers"][1]["image"] = "evil/proxy"
    deployment["metadata"]["labels"]["team"] = "added by hand"  # not rendered: left alone
    [(ref, patch, drift)] = plan(children, observed, owner_uid="uid-1").repair
    assert ref == ("apps/v1", "Deployment", "cart")
    assert drift.paths == ("spec.replicas", "spec.template.spec.containers[1].image")
    assert patch["spec"] == children[4]["spec"]
    assert set(patch["metadata"]) == {"labels", "ownerReferences"}
    assert "Deployment/cart was changed (spec.replicas, " in drift.describe()


def test_an_autoscaler_no_longer_wanted_is_deleted_only_if_it_is_ours() -> None:
    with_hpa = render(autoscaling={"minReplicas": 1, "maxReplicas": 3})
    without = render()
    observed = observed_as(with_hpa)
    assert plan(without, observed, owner_uid="uid-1").delete == (("autoscaling/v2", "HorizontalPodAutoscaler", "cart"),)
    foreign = observed[("autoscaling/v2", "HorizontalPodAutoscaler", "cart")]
    foreign["metadata"] = {"name": "cart", "ownerReferences": [{"uid": "someone-else"}]}
    assert plan(without, observed, owner_uid="uid-1").delete == ()


def test_a_child_name_taken_by_someone_else_is_a_conflict_and_left_alone() -> None:
    children = render()
    observed = observed_as(children)
    observed[("v1", "Service", "cart")] = {"metadata": {"name": "cart", "labels": {"app": "theirs"}}, "spec": {}}
    result = plan(children, observed, owner_uid="uid-1")
    assert result.conflicts == ("Service/cart",)
    assert all(ref[1] != "Service" for ref, _, _ in result.repair)


def test_ownership_also_holds_by_the_operators_labels() -> None:
    children = render()
    observed = observed_as(children)
    observed[("v1", "Service", "cart")]["metadata"]["ownerReferences"] = []
    result = plan(children, observed, owner_uid="uid-1")
    assert result.conflicts == ()
    assert [drift.child for drift in result.drifts] == ["Service/cart"]


@pytest.mark.parametrize(
    ("desired", "observed", "paths"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, []),
        ({"a": 1}, {"a": 2}, ["a"]),
        ({"a": {"b": [1, 2]}}, {"a": {"b": [1]}}, ["a.b"]),
        ({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}]}, []),
        ({"rules": []}, {}, []),
        ({"labels": {}}, {}, []),
        ({"a": {"b": 1}}, {"a": "scalar"}, ["a"]),
        (
            {"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}}},
            {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
            [],
        ),
        ({"resources": {"limits": {"cpu": "1"}}}, {"resources": {"limits": {"cpu": "999m"}}}, ["resources.limits.cpu"]),
    ],
)
def test_differences(desired: Any, observed: Any, paths: list[str]) -> None:
    assert differences(desired, observed) == paths


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", "0.5"),
        ("1Gi", str(2**30)),
        ("2e3", "2000"),
        ("1.5k", "1500"),
        (".5", "0.5"),
        (3, "3"),
        ("12Mi", str(12 * 2**20)),
    ],
)
def test_quantities(text: Any, value: str) -> None:
    assert str(parse_quantity(text).normalize()) == str(parse_quantity(value).normalize())  # type: ignore[union-attr]


def test_non_quantities_compare_as_they_are() -> None:
    assert parse_quantity("lots") is None
    assert parse_quantity(True) is None
    assert same_quantity("lots", "lots")
    assert not same_quantity("1", None)


def test_selector_string_is_what_the_scale_subresource_reports() -> None:
    assert names.selector_string("cart") == "cloudstate.io/stateful-service=cart"
