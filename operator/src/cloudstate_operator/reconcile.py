"""Desired children against observed children: what to create, repair or delete (pure).

A child has drifted when a field the operator renders differs from the
rendering. Fields the operator does not render (those the API server fills in,
labels someone added) are not compared, so defaulting never looks like drift.
The comparison knows two API server habits: it writes resource quantities in
canonical form (``0.5`` becomes ``500m``) and leaves empty lists and objects out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.manifests import Manifest
from cloudstate_operator.quantities import same_quantity

#: (apiVersion, kind, name): how the API module addresses one child.
ChildRef = tuple[str, str, str]


def child_ref(manifest: Mapping[str, Any]) -> ChildRef:
    return manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"]


def child_key(manifest: Mapping[str, Any]) -> str:
    """``Kind/name``, as events, status and ``kubectl`` show a child."""
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


@dataclasses.dataclass(frozen=True)
class Drift:
    """A child that was changed or deleted behind the operator's back."""

    child: str
    #: The rendered fields that differ (empty when the child was deleted).
    paths: tuple[str, ...] = ()

    @property
    def deleted(self) -> bool:
        return not self.paths

    def describe(self) -> str:
        if self.deleted:
            return f"{self.child} was deleted"
        return f"{self.child} was changed ({', '.join(self.paths)})"


@dataclasses.dataclass(frozen=True)
class Plan:
    create: tuple[Manifest, ...] = ()
    #: Children to merge-patch back to their rendering: (child, patch body, drift found).
    repair: tuple[tuple[ChildRef, Manifest, Drift], ...] = ()
    delete: tuple[ChildRef, ...] = ()
    #: Every drift, including deleted children that ``create`` recreates.
    drifts: tuple[Drift, ...] = ()
    #: Children that exist under our name but belong to someone else; left alone.
    conflicts: tuple[str, ...] = ()


def plan(
    desired: Sequence[Manifest],
    observed: Mapping[ChildRef, Mapping[str, Any] | None],
    *,
    owner_uid: str,
    known: frozenset[str] = frozenset(),
) -> Plan:
    """What brings ``observed`` in line with ``desired``.

    ``observed`` maps every child kind's reference to the object found (None:
    absent). ``known`` holds the children an earlier pass created (from the
    parent's status): a missing child that is known was deleted (drift), an
    unknown one is simply new.
    """
    create: list[Manifest] = []
    repair: list[tuple[ChildRef, Manifest, Drift]] = []
    drifts: list[Drift] = []
    conflicts: list[str] = []
    wanted = {child_ref(manifest) for manifest in desired}
    for manifest in desired:
        key = child_key(manifest)
        current = observed.get(child_ref(manifest))
        if current is None:
            create.append(manifest)
            if key in known:
                drifts.append(Drift(key))
        elif not owned_by(current, owner_uid, manifest["metadata"]["name"]):
            conflicts.append(key)
        elif paths := differences(owned_fields(manifest), current):
            drift = Drift(key, tuple(paths))
            repair.append((child_ref(manifest), owned_fields(manifest), drift))
            drifts.append(drift)
    delete = tuple(
        ref
        for ref, current in observed.items()
        if ref not in wanted and current is not None and owned_by(current, owner_uid, ref[2])
    )
    return Plan(tuple(create), tuple(repair), delete, tuple(drifts), tuple(conflicts))


def owned_by(obj: Mapping[str, Any], owner_uid: str, service: str) -> bool:
    """Whether ``obj`` is the StatefulService's: by owner reference, or by the labels the operator sets."""
    metadata = obj.get("metadata") or {}
    if any(ref.get("uid") == owner_uid for ref in metadata.get("ownerReferences") or []):
        return True
    labels = metadata.get("labels") or {}
    return labels.get(names.SERVICE_LABEL) == service and labels.get(names.MANAGED_BY_LABEL) == names.MANAGER


def owned_fields(manifest: Mapping[str, Any]) -> Manifest:
    """The part of a rendered child the operator keeps in line (also the body of a repairing merge patch)."""
    metadata = manifest["metadata"]
    fields: Manifest = {key: value for key, value in manifest.items() if key not in ("metadata", "status")}
    fields["metadata"] = {"labels": metadata["labels"], "ownerReferences": metadata["ownerReferences"]}
    return fields


def differences(desired: Any, observed: Any, path: str = "") -> list[str]:
    """Paths where ``observed`` does not match ``desired``; keys only ``observed`` has are ignored."""
    if isinstance(desired, Mapping):
        if not isinstance(observed, Mapping):
            return [] if not desired and observed is None else [path or "."]
        found: list[str] = []
        for key, value in desired.items():
            child = f"{path}.{key}" if path else key
            if path.endswith("resources.requests") or path.endswith("resources.limits"):
                if not same_quantity(value, observed.get(key)):
                    found.append(child)
            else:
                found += differences(value, observed.get(key), child)
        return found
    if isinstance(desired, list):
        if observed is None and not desired:
            return []
        if not isinstance(observed, list) or len(observed) != len(desired):
            return [path]
        found = []
        for index, (want, have) in enumerate(zip(desired, observed, strict=True)):
            found += differences(want, have, f"{path}[{index}]")
        return found
    return [] if desired == observed else [path]
