"""Operator settings, read once from the environment (``CLOUDSTATE_*`` variables).

A variable that is unset or empty means the default. A malformed value raises
:class:`ConfigError` naming the variable, so the operator stops at start-up
instead of running with a setting nobody asked for.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

#: The image images/build.py tags for reference/proxy (cloudstate/<name>:<version>).
DEFAULT_PROXY_IMAGE = "cloudstate/proxy:0.1.0"
DEFAULT_PROXY_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"memory": "256Mi"},
}


class ConfigError(ValueError):
    """An environment variable holds a value the operator cannot use."""


@dataclasses.dataclass(frozen=True)
class WebhookConfig:
    """Where kopf's admission server listens and how the API server reaches it (see README, "Webhook")."""

    port: int
    #: The interface to listen on.
    addr: str = "0.0.0.0"
    host: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    ca_file: str | None = None
    #: Name of a MutatingWebhookConfiguration kopf keeps up to date itself; None when deploy/webhook.yaml provides it.
    managed: str | None = None
    #: Plain HTTP (tests and local debugging only: the API server insists on HTTPS).
    insecure: bool = False


@dataclasses.dataclass(frozen=True)
class OperatorConfig:
    proxy_image: str = DEFAULT_PROXY_IMAGE
    proxy_image_pull_policy: str = "IfNotPresent"
    #: Used for a StatefulService that leaves spec.proxy.resources out.
    proxy_resources: Mapping[str, Mapping[str, str]] = dataclasses.field(
        default_factory=lambda: {key: dict(value) for key, value in DEFAULT_PROXY_RESOURCES.items()}
    )
    #: Seconds between full re-checks of every resource (drift the watches missed, Secrets that appeared).
    resync_interval: float = 60.0
    #: Seconds before a resource whose StatefulStore or Secret is missing is tried again.
    retry_delay: float = 15.0
    #: Namespaces to serve; empty means the whole cluster.
    namespaces: tuple[str, ...] = ()
    #: Talk to this API server URL without credentials (``kubectl proxy``, tests); None: kubeconfig or in-cluster.
    api_server: str | None = None
    #: The port of kopf's liveness endpoint (/healthz); None turns it off.
    health_port: int | None = 8080
    webhook: WebhookConfig | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OperatorConfig:
        def read(name: str, parse: Callable[[str], T], default: T) -> T:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError as error:
                raise ConfigError(f"invalid value for {name}: {error}") from None

        defaults = cls()
        webhook_port = read("CLOUDSTATE_WEBHOOK_PORT", parse_port, None)
        webhook = None
        if webhook_port is not None:
            webhook = WebhookConfig(
                port=webhook_port,
                addr=read("CLOUDSTATE_WEBHOOK_ADDR", str, "0.0.0.0"),
                host=read("CLOUDSTATE_WEBHOOK_HOST", str, None),
                cert_file=read("CLOUDSTATE_WEBHOOK_CERT_FILE", str, None),
                key_file=read("CLOUDSTATE_WEBHOOK_KEY_FILE", str, None),
                ca_file=read("CLOUDSTATE_WEBHOOK_CA_FILE", str, None),
                managed=read("CLOUDSTATE_WEBHOOK_MANAGED", str, None),
                insecure=read("CLOUDSTATE_WEBHOOK_INSECURE", parse_bool, False),
            )
        return cls(
            proxy_image=read("CLOUDSTATE_PROXY_IMAGE", str, defaults.proxy_image),
            proxy_image_pull_policy=read(
                "CLOUDSTATE_PROXY_IMAGE_PULL_POLICY", parse_pull_policy, defaults.proxy_image_pull_policy
            ),
            proxy_resources=read("CLOUDSTATE_PROXY_RESOURCES", parse_resources, defaults.proxy_resources),
            resync_interval=read("CLOUDSTATE_RESYNC_INTERVAL", parse_duration, defaults.resync_interval),
            retry_delay=read("CLOUDSTATE_RETRY_DELAY", parse_duration, defaults.retry_delay),
            namespaces=read("CLOUDSTATE_NAMESPACES", parse_list, defaults.namespaces),
            api_server=read("CLOUDSTATE_API_SERVER", str, None),
            health_port=read("CLOUDSTATE_HEALTH_PORT", parse_port, defaults.health_port),
            webhook=webhook,
        )


def parse_duration(text: str) -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"1.5m"`` or ``"500ms"``; must be positive."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 500ms, 2m)")
    seconds = float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"must be positive: {text!r}")
    return seconds


def parse_port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return port


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_pull_policy(text: str) -> str:
    if text not in {"Always", "IfNotPresent", "Never"}:
        raise ValueError(f"not an image pull policy: {text!r} (Always, IfNotPresent or Never)")
    return text


def parse_resources(text: str) -> Mapping[str, Mapping[str, str]]:
    """A container's ``resources`` as JSON, e.g. ``{"requests": {"cpu": "100m"}}``."""
    value: Any = json.loads(text)
    if not isinstance(value, dict) or not set(value) <= {"requests", "limits"}:
        raise ValueError("expected a JSON object with 'requests' and/or 'limits'")
    for part in value.values():
        if not isinstance(part, dict) or not all(isinstance(v, str) for v in part.values()):
            raise ValueError("requests and limits map resource names to quantity strings")
    return value
