"""One reconciliation pass: read what exists, render what should, apply the difference.

This is the glue between the pure modules (specs, stores, manifests,
reconcile, conditions) and the API module (kube). It imports no kopf: it
writes the status and posts the events itself, and returns an :class:`Outcome`
from which handlers.py decides on kopf's retries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cloudstate_operator import names
from cloudstate_operator.annotations import InjectionRequest, injected_pod_spec
from cloudstate_operator.conditions import (
    ServiceObservation,
    merge_conditions,
    service_conditions,
    store_conditions,
    unchanged,
)
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.errors import DependencyMissing, InvalidSpec, KubernetesError, OperatorError
from cloudstate_operator.events import event_manifest
from cloudstate_operator.kube import KubeApi
from cloudstate_operator.manifests import CHILD_KINDS, Owner, desired_children
from cloudstate_operator.reconcile import child_key, child_ref, plan
from cloudstate_operator.specs import ServiceSpec, parse_service
from cloudstate_operator.stores import IN_MEMORY, Postgres, StoreBinding, bind, check_secret, parse_store, store_type

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Notice:
    """A Kubernetes event to post on the resource."""

    type: str  # Normal or Warning
    reason: str
    message: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    #: A merge patch for the resource's status (empty when nothing changed).
    status: dict[str, Any]
    notices: tuple[Notice, ...] = ()
    #: Why the resource could not be brought in line (InvalidSpec or DependencyMissing), if it could not.
    error: OperatorError | None = None


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Reconciler:
    """Reconciles StatefulServices and StatefulStores; one pass per resource at a time.

    Every pass reads the resource afresh and writes its status itself (to the
    status subresource), whichever handler started it, so that passes never
    overwrite each other's status with older news.
    """

    def __init__(self, api: KubeApi, config: OperatorConfig, clock: Callable[[], str] = utc_now) -> None:
        self.api = api
        self.config = config
        self.clock = clock
        self._locks: defaultdict[tuple[str, str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def binding(
        self, namespace: str, store_name: str | None, database: str | None, *, warnings: list[str] | None = None
    ) -> StoreBinding:
        """The proxy's store binding; :class:`DependencyMissing` when the store or its Secret cannot be used.

        With ``warnings`` a missing Secret is only noted there: the pods it would
        block can still be admitted, and start once the Secret exists.
        """
        if store_name is None:
            return IN_MEMORY
        found = await self.api.get(names.API_VERSION, names.STORE_KIND, namespace, store_name)
        if found is None:
            raise DependencyMissing(f"StatefulStore {store_name!r} not found", reason="StoreNotFound")
        try:
            store = parse_store(found.get("spec"))
        except InvalidSpec as error:
            raise DependencyMissing(
                f"StatefulStore {store_name!r} is invalid: {error}", reason="StoreInvalid"
            ) from None
        if isinstance(store, Postgres):
            try:
                check_secret(store, await self.api.get("v1", "Secret", namespace, store.secret))
            except DependencyMissing as error:
                if warnings is None:
                    raise
                warnings.append(error.message)
        return bind(store_name, store, database)

    async def injection(
        self, namespace: str, deployment: Mapping[str, Any], request: InjectionRequest
    ) -> tuple[dict[str, Any], list[str]]:
        """The pod spec a plain Deployment gets from the webhook, and warnings for the person applying it."""
        warnings: list[str] = []
        binding = await self.binding(namespace, request.store, request.database, warnings=warnings)
        return injected_pod_spec(deployment, request, binding, self.config), warnings

    async def _service(self, body: Mapping[str, Any]) -> Outcome:
        meta, previous = body["metadata"], body.get("status") or {}
        name, namespace, generation = meta["name"], meta["namespace"], meta.get("generation")
        now = self.clock()
        status: dict[str, Any] = {"observedGeneration": generation, "selector": names.selector_string(name)}
        try:
            spec = parse_service(name, body.get("spec"))
            binding = await self.binding(namespace, spec.store, spec.database)
            return await self._apply(body, spec, binding, status, now)
        except (InvalidSpec, DependencyMissing) as error:
            seen = ServiceObservation(error=error)
            status["conditions"] = merge_conditions(
                previous.get("conditions") or [], service_conditions(seen), now=now, generation=generation
            )
            patch = {} if unchanged(previous, status) else status
            warning = Notice("Warning", error.reason, error.message)
            return Outcome(patch, (warning,) if patch else (), error)

    async def _apply(
        self, body: Mapping[str, Any], spec: ServiceSpec, binding: StoreBinding, status: dict[str, Any], now: str
    ) -> Outcome:
        """Bring the children in line with ``spec`` and complete ``status``."""
        meta, previous = body["metadata"], body.get("status") or {}
        name, namespace, generation = meta["name"], meta["namespace"], meta.get("generation")
        desired = desired_children(spec, Owner(name, namespace, meta["uid"]), binding, self.config)
        observed = {
            (api_version, kind, name): await self.api.get(api_version, kind, namespace, name)
            for api_version, kind in CHILD_KINDS
        }
        todo = plan(desired, observed, owner_uid=meta["uid"], known=frozenset(previous.get("children") or []))
        notices: list[Notice] = []
        drifted = {drift.child for drift in todo.drifts}
        for manifest in todo.create:
            observed[child_ref(manifest)] = await _refused_as_invalid(self._create(manifest), child_key(manifest))
            if child_key(manifest) not in drifted:
                notices.append(Notice("Normal", "Created", f"Created {child_key(manifest)}"))
        for ref, patch_body, _ in todo.repair:
            repair = self.api.merge_patch(ref[0], ref[1], namespace, ref[2], patch_body)
            observed[ref] = await _refused_as_invalid(repair, f"{ref[1]}/{ref[2]}")
        for ref in todo.delete:
            await self.api.delete(ref[0], ref[1], namespace, ref[2])
            observed[ref] = None
            notices.append(Notice("Normal", "Deleted", f"Deleted {ref[1]}/{ref[2]}: no longer in the spec"))
        notices += [Notice("Warning", "DriftRepaired", f"{drift.describe()}; put back") for drift in todo.drifts]
        notices += [Notice("Warning", "ChildConflict", f"{key} exists and is not ours") for key in todo.conflicts]

        deployment = observed[("apps/v1", "Deployment", name)]
        seen = ServiceObservation(
            desired_replicas=spec.replicas,
            deployment=deployment,
            conflicts=todo.conflicts,
            in_memory=binding.url == IN_MEMORY.url,
        )
        deployed = (deployment or {}).get("status") or {}
        status |= {
            "replicas": deployed.get("replicas", 0),
            "readyReplicas": deployed.get("readyReplicas", 0),
            "store": spec.store or "in-memory",
            "children": sorted(child_key(m) for m in desired if observed.get(child_ref(m)) is not None),
            "conditions": merge_conditions(
                previous.get("conditions") or [], service_conditions(seen), now=now, generation=generation
            ),
        }
        if todo.drifts:
            status["lastDrift"] = {"time": now, "changes": [drift.describe() for drift in todo.drifts]}
        return Outcome({} if unchanged(previous, status) else status, tuple(notices))

    async def _create(self, manifest: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            return await self.api.create(manifest)
        except KubernetesError as error:
            if error.status != 409:
                raise
            # Someone (another pass, a person) created it between our read and our write: read it back.
            api_version, kind, name = child_ref(manifest)
            return await self.api.get(api_version, kind, manifest["metadata"]["namespace"], name)

    async def refresh(self, namespace: str, name: str) -> tuple[dict[str, Any], Outcome] | None:
        """Reconcile the StatefulService ``namespace/name`` and write its status; None when it is gone."""
        return await self._pass(names.SERVICE_KIND, namespace, name, self._service)

    async def refresh_store(self, namespace: str, name: str) -> tuple[dict[str, Any], Outcome] | None:
        """Check the StatefulStore ``namespace/name`` and write its status; None when it is gone."""
        return await self._pass(names.STORE_KIND, namespace, name, self._store)

    async def _pass(
        self, kind: str, namespace: str, name: str, reconcile: Callable[[Mapping[str, Any]], Awaitable[Outcome]]
    ) -> tuple[dict[str, Any], Outcome] | None:
        # One pass per resource at a time, reading the resource inside the lock: a pass must see
        # the status the previous pass wrote (its inventory of children tells new from deleted).
        async with self._locks[kind, namespace, name]:
            body = await self.api.get(names.API_VERSION, kind, namespace, name)
            if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
                return None
            outcome = await reconcile(body)
            if outcome.status:
                status = {"status": outcome.status}
                await self.api.merge_patch(names.API_VERSION, kind, namespace, name, status, subresource="status")
            await self._announce(body, outcome.notices)
            return body, outcome

    async def _announce(self, body: Mapping[str, Any], notices: tuple[Notice, ...]) -> None:
        now = self.clock()
        for notice in notices:
            try:
                await self.api.create(event_manifest(body, notice.type, notice.reason, notice.message, now=now))
            except KubernetesError as error:
                # An event is a courtesy: the status already says the same.
                log.warning("Could not post the event %s %r: %s", notice.reason, notice.message, error.message)

    async def resync(self, namespaces: tuple[str, ...]) -> list[tuple[dict[str, Any], Outcome]]:
        """Refresh every StatefulStore and StatefulService in ``namespaces`` (empty: the whole cluster).

        This catches what no watch event announced: a Secret that appeared or
        changed, a change made while the operator was down.
        """
        results: list[tuple[dict[str, Any], Outcome]] = []
        for namespace in namespaces or (None,):
            for kind, refresh in ((names.STORE_KIND, self.refresh_store), (names.SERVICE_KIND, self.refresh)):
                for found in await self.api.list(names.API_VERSION, kind, namespace):
                    meta = found["metadata"]
                    if (result := await refresh(meta["namespace"], meta["name"])) is not None:
                        results.append(result)
        return results

    async def dependants(self, namespace: str, store_name: str) -> list[str]:
        """Names of the StatefulServices in ``namespace`` that use the StatefulStore ``store_name``."""
        services = await self.api.list(names.API_VERSION, names.SERVICE_KIND, namespace)
        return [
            service["metadata"]["name"]
            for service in services
            if ((service.get("spec") or {}).get("storeConfig") or {}).get("statefulStore", {}).get("name") == store_name
        ]

    async def _store(self, body: Mapping[str, Any]) -> Outcome:
        meta, previous = body["metadata"], body.get("status") or {}
        error: OperatorError | None = None
        status: dict[str, Any] = {"observedGeneration": meta.get("generation")}
        try:
            store = parse_store(body.get("spec"))
            status["type"] = store_type(store)
            if isinstance(store, Postgres):
                check_secret(store, await self.api.get("v1", "Secret", meta["namespace"], store.secret))
        except (InvalidSpec, DependencyMissing) as failure:
            error = failure
        status["conditions"] = merge_conditions(
            previous.get("conditions") or [],
            store_conditions(error),
            now=self.clock(),
            generation=meta.get("generation"),
        )
        patch = {} if unchanged(previous, status) else status
        notices = (Notice("Warning", error.reason, error.message),) if error is not None and patch else ()
        return Outcome(patch, notices, error)


async def _refused_as_invalid(call: Awaitable[dict[str, Any] | None], child: str) -> dict[str, Any] | None:
    """A child the API server refuses as invalid comes from a spec it cannot serve (a bad container field, say)."""
    try:
        return await call
    except KubernetesError as error:
        if error.status in (400, 422):
            raise InvalidSpec(f"Kubernetes refused {child}: {error.message}") from None
        raise
