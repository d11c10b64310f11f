"""Helpers shared by the operator's tests: the deploy/ files and schema validation.

Kubernetes objects are checked with kubernetes-validate, which ships the real
OpenAPI schemas of each Kubernetes release (no network); custom resources are
checked against the openAPIV3Schema of our own CRDs with jsonschema.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import referencing
import yaml
from referencing import Resource

#: The Kubernetes release the manifests must be valid for.
KUBERNETES_VERSION = "1.31"
OPERATOR = Path(__file__).resolve().parents[1]
DEPLOY = OPERATOR / "deploy"
CRDS = DEPLOY / "crds"
EXAMPLES = DEPLOY / "examples"


def load_all(path: Path) -> list[dict[str, Any]]:
    """Every document of a YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def validate_kubernetes(manifest: Mapping[str, Any], *, strict: bool = True) -> None:
    """Raise unless ``manifest`` is a valid object of a built-in kind (with ``strict``, unknown fields are errors).

    The same check as ``kubernetes_validate.validate(manifest, version, strict=strict)``, with each
    kind's validator built once: building it costs far more than using it.
    """
    _validator(manifest["apiVersion"], manifest["kind"], strict).validate(dict(manifest))


@functools.cache
def _validator(api_version: str, kind: str, strict: bool) -> jsonschema.Draft202012Validator:
    utils = kubernetes_validate.utils
    version = [v for v in utils.all_versions() if utils.major_minor(v) == KUBERNETES_VERSION][-1]
    folder = f"kubernetes-json-schema/v{version}-local" + ("-strict" if strict else "")
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", version)
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry: referencing.Registry[Any] = Resource.from_contents(definitions) @ (
        Resource.from_contents(schema) @ referencing.Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


@functools.cache
def crd_schema(kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of our CRD for ``kind``."""
    for path in CRDS.glob("*.yaml"):
        for crd in load_all(path):
            if crd["spec"]["names"]["kind"] == kind:
                schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
                return schema
    raise KeyError(kind)


def validate_custom(resource: Mapping[str, Any]) -> None:
    """Raise unless ``resource`` matches its CRD's schema (CEL rules excepted: the operator checks those itself)."""
    jsonschema.Draft7Validator(crd_schema(resource["kind"])).validate(dict(resource))


def validate_status(resource: Mapping[str, Any]) -> None:
    """Raise unless the status the operator wrote matches the status schema of the resource's CRD."""
    jsonschema.Draft7Validator(crd_schema(resource["kind"])["properties"]["status"]).validate(resource["status"])


def validate_any(manifest: Mapping[str, Any]) -> None:
    if manifest["apiVersion"].startswith("cloudstate.io/"):
        validate_custom(manifest)
    else:
        validate_kubernetes(manifest)
