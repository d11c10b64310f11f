"""kopf handlers: unpack what kopf passes, call the reconciler, hand back status, events and retries.

Handlers register on a registry passed in (:func:`register`), never on kopf's
global one, so that tests run each operator with a fresh registry. Whatever
started it (a change, a child's event, a store's event, the periodic re-check),
a pass goes through :meth:`Reconciler.refresh`, which writes the status.

Error mapping at this boundary: an invalid spec is a ``kopf.PermanentError``
(retrying cannot help until the spec changes); a missing StatefulStore or
Secret and a failed API call are ``kopf.TemporaryError`` retried after
``retry_delay``. Either way the status and an event explain it first.

No handler needs a finalizer: children go with their parent through
Kubernetes' garbage collector, so deleting a resource never waits for the
operator. That is also why the periodic re-check is one operator-wide loop
rather than a kopf timer per object (kopf puts a finalizer on every object
that has a timer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import kopf

from cloudstate_operator import names
from cloudstate_operator.annotations import read_request
from cloudstate_operator.config import OperatorConfig, WebhookConfig
from cloudstate_operator.errors import DependencyMissing, InvalidSpec, KubernetesError
from cloudstate_operator.kube import KubeApi, credentials
from cloudstate_operator.reconciling import Outcome, Reconciler

SERVICE = (names.GROUP, names.VERSION, names.SERVICE_PLURAL)
STORE = (names.GROUP, names.VERSION, names.STORE_PLURAL)
#: (group, version, plural) of every kind of child, watched to repair drift as soon as it happens.
CHILDREN = (
    ("", "v1", "serviceaccounts"),
    ("rbac.authorization.k8s.io", "v1", "roles"),
    ("rbac.authorization.k8s.io", "v1", "rolebindings"),
    ("", "v1", "services"),
    ("apps", "v1", "deployments"),
    ("autoscaling", "v2", "horizontalpodautoscalers"),
)
OURS: Mapping[str, Any] = {names.MANAGED_BY_LABEL: names.MANAGER, names.SERVICE_LABEL: kopf.PRESENT}
#: Where kopf keeps its own bookkeeping on our resources (annotations, not status: the CRD schemas are strict).
BOOKKEEPING = f"operator.{names.GROUP}"

log = logging.getLogger(__name__)
T = TypeVar("T")


class Runtime:
    """What exists only while the operator runs: the reconciler and the re-check loop."""

    def __init__(self) -> None:
        self._reconciler: Reconciler | None = None
        self.resync: asyncio.Task[None] | None = None

    @property
    def reconciler(self) -> Reconciler:
        if self._reconciler is None:
            raise kopf.TemporaryError("the operator is still starting", delay=1)
        return self._reconciler


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> Runtime:
    """Put every handler on ``registry``; the returned runtime fills in at start-up."""
    runtime = Runtime()
    hook = _usable_webhook(config.webhook)

    if config.api_server:

        @kopf.on.login(registry=registry)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return kopf.ConnectionInfo(server=str(config.api_server))

    @kopf.on.startup(registry=registry)
    async def start(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=BOOKKEEPING)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=BOOKKEEPING)
        if hook is not None:
            settings.admission.server = kopf.WebhookServer(
                addr=hook.addr,
                port=hook.port,
                host=hook.host,
                certfile=hook.cert_file,
                pkeyfile=hook.key_file,
                cafile=hook.ca_file,
                insecure=hook.insecure,
            )
            settings.admission.managed = hook.managed
        api = await KubeApi.open(credentials(config, settings), relogin=lambda: credentials(config, settings))
        runtime._reconciler = Reconciler(api, config)
        runtime.resync = asyncio.create_task(_resync_forever(runtime.reconciler, config))

    @kopf.on.cleanup(registry=registry)
    async def stop(**_: Any) -> None:
        if runtime.resync is not None:
            runtime.resync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runtime.resync
        if runtime._reconciler is not None:
            await runtime._reconciler.api.close()

    @kopf.on.resume(*SERVICE, registry=registry)
    @kopf.on.create(*SERVICE, registry=registry)
    @kopf.on.update(*SERVICE, registry=registry)
    async def service_changed(body: kopf.Body, **_: Any) -> None:
        _retry(await _guarded(runtime.reconciler.refresh(*_address(body)), config), config)

    async def child_changed(type: str | None, body: kopf.Body, **_: Any) -> None:
        if type is None:
            return  # the initial listing: every parent is resumed anyway
        namespace, parent = str(body.metadata.namespace), body.metadata.labels[names.SERVICE_LABEL]
        await runtime.reconciler.refresh(namespace, parent)

    for group, version, plural in CHILDREN:
        kopf.on.event(group, version, plural, id=f"child-{plural}", labels=OURS, registry=registry)(child_changed)

    @kopf.on.resume(*STORE, registry=registry)
    @kopf.on.create(*STORE, registry=registry)
    @kopf.on.update(*STORE, registry=registry)
    async def store_changed(body: kopf.Body, **_: Any) -> None:
        _retry(await _guarded(runtime.reconciler.refresh_store(*_address(body)), config), config)

    @kopf.on.event(*STORE, registry=registry)
    async def store_event(type: str | None, body: kopf.Body, **_: Any) -> None:
        if type is None:
            return
        namespace = str(body.metadata.namespace)
        for service in await runtime.reconciler.dependants(namespace, str(body.metadata.name)):
            await runtime.reconciler.refresh(namespace, service)

    if hook is not None:
        _register_webhook(registry, runtime)
    return runtime


def _usable_webhook(hook: WebhookConfig | None) -> WebhookConfig | None:
    if hook is not None and hook.cert_file is not None and not os.path.exists(hook.cert_file):
        # deploy/operator.yaml always configures the webhook; its certificate comes with deploy/webhook.yaml.
        # kopf refuses to run admission handlers without a server, so the handler is not registered either.
        log.info("Sidecar webhook off: no certificate at %s (see deploy/webhook.yaml)", hook.cert_file)
        return None
    return hook


def _register_webhook(registry: kopf.OperatorRegistry, runtime: Runtime) -> None:
    @kopf.on.mutate(
        "apps",
        "v1",
        "deployments",
        id="inject-proxy",
        operations=["CREATE", "UPDATE"],
        annotations={names.ENABLED_ANNOTATION: "true"},
        # Ignore, not Fail: with Fail every Deployment in the cluster would be refused while the operator is down.
        ignore_failures=True,
        side_effects=False,
        registry=registry,
    )
    async def inject_proxy(body: kopf.Body, patch: kopf.Patch, warnings: list[str], **_: Any) -> None:
        try:
            request = read_request(body)
            pod_spec, notes = await runtime.reconciler.injection(str(body.metadata.namespace), body, request)
        except (InvalidSpec, DependencyMissing) as error:
            raise kopf.AdmissionError(f"cloudstate sidecar: {error.message}", code=400) from None
        warnings.extend(notes)
        # None deletes a key in a merge patch: the sidecar's TLS volume may have been the only volume.
        patch["spec"] = {"template": {"spec": {**pod_spec, "volumes": pod_spec.get("volumes")}}}


async def _resync_forever(reconciler: Reconciler, config: OperatorConfig) -> None:
    while True:
        await asyncio.sleep(config.resync_interval)
        try:
            await reconciler.resync(config.namespaces)
        except KubernetesError as error:
            log.warning("Re-check failed, trying again in %s s: %s", config.resync_interval, error.message)


async def _guarded(call: Awaitable[T], config: OperatorConfig) -> T:
    """Await ``call``; a failed API call becomes a TemporaryError (kopf retries, logs and posts it)."""
    try:
        return await call
    except KubernetesError as error:
        raise kopf.TemporaryError(error.message, delay=config.retry_delay) from error


def _address(body: kopf.Body) -> tuple[str, str]:
    return str(body.metadata.namespace), str(body.metadata.name)


def _retry(result: tuple[dict[str, Any], Outcome] | None, config: OperatorConfig) -> None:
    """Hand kopf the pass's verdict: stop for an invalid spec, come back later for a missing dependency."""
    error = result[1].error if result is not None else None
    if isinstance(error, InvalidSpec):
        raise kopf.PermanentError(error.message)
    if error is not None:
        raise kopf.TemporaryError(error.message, delay=config.retry_delay)
