"""The proxy's settings: command-line flags, each with an environment fallback.

A flag given on the command line wins over its environment variable, which
wins over the default. A variable that is set but empty counts as unset
(spec/01-transport.md). A malformed value is a :class:`SettingsError` whose
message names the flag and the variable, so the process can exit with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MIB = 1024 * 1024


class SettingsError(ValueError):
    """A flag or environment variable has a value the proxy cannot use."""


@dataclasses.dataclass(frozen=True)
class Settings:
    user_function_host: str = "127.0.0.1"
    user_function_port: int = 8080
    http_host: str = "0.0.0.0"
    #: The one public port for gRPC and HTTP/JSON (0 picks a free port; tests only).
    http_port: int = 9000
    #: Expose the internal gRPC server directly on this port too (None: internal only).
    grpc_port: int | None = None
    management_port: int = 8558
    metrics_port: int = 9090
    #: Store URL: "memory" (default) or "postgresql://...".
    store: str = "memory"
    #: Default idle timeout of entities, and per entity type (None: the common default) (PASS-005).
    passivation_timeout: float = 30.0
    event_sourced_passivation_timeout: float | None = None
    value_entity_passivation_timeout: float | None = None
    crdt_passivation_timeout: float | None = None
    relay_timeout: float = 60.0
    #: Refuse a user function that reports protocol version 0.0.
    strict_protocol: bool = False
    discovery_backoff_min: float = 1.0
    discovery_backoff_max: float = 10.0
    discovery_backoff_jitter: float = 0.2
    max_message_size: int = 12 * MIB
    shutdown_grace: float = 10.0
    log_level: str = "info"
    #: This process's CRDT replica id (None: host name, process id and a random part).
    replica_id: str | None = None
    #: How long a MAJORITY or ALL CRDT write may wait for the other replicas (CRDT-030).
    crdt_write_timeout: float = 5.0
    #: How often a proxy reports itself alive to the replicas sharing its store, and how long it counts as up after.
    crdt_heartbeat_interval: float = 1.0
    crdt_liveness_window: float = 5.0

    def idle_timeout(self, entity_type: str) -> float:
        """The default idle timeout for entities of ``entity_type`` (a protocol service name)."""
        specific = {
            "cloudstate.eventsourced.EventSourced": self.event_sourced_passivation_timeout,
            "cloudstate.valueentity.ValueEntity": self.value_entity_passivation_timeout,
            "cloudstate.crdt.Crdt": self.crdt_passivation_timeout,
        }.get(entity_type)
        return specific if specific is not None else self.passivation_timeout


def parse_duration(text: str) -> float:
    """Seconds from "30s", "250ms", "2m" or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 250ms, 2m)")
    value = float(match.group(1))
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match.group(2)]


def parse_size(text: str) -> int:
    """Bytes from "12MiB", "512KiB", "12M" or a bare number of bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]i?B?)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 12MiB or a number of bytes)")
    unit = (match.group(2) or "")[:1].upper()
    return int(match.group(1)) * {"": 1, "K": 1024, "M": MIB, "G": 1024 * MIB}[unit]


def parse_port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return port


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _positive(parse: Callable[[str], float]) -> Callable[[str], float]:
    def check(text: str) -> float:
        value = parse(text)
        if value <= 0:
            raise ValueError(f"must be positive: {text!r}")
        return value

    return check


# (field, flag, environment variable, parser, help)
_OPTIONS: tuple[tuple[str, str, str, Callable[[str], Any], str], ...] = (
    ("user_function_host", "--user-function-host", "USER_FUNCTION_HOST", str, "host of the user function"),
    ("user_function_port", "--user-function-port", "USER_FUNCTION_PORT", parse_port, "port of the user function"),
    ("http_host", "--http-host", "HTTP_HOST", str, "interface for the public port"),
    ("http_port", "--http-port", "HTTP_PORT", parse_port, "public port: gRPC and HTTP/JSON"),
    ("grpc_port", "--grpc-port", "GRPC_PORT", parse_port, "also serve gRPC directly on this port"),
    ("management_port", "--management-port", "MANAGEMENT_PORT", parse_port, "health: /alive and /ready"),
    ("metrics_port", "--metrics-port", "METRICS_PORT", parse_port, "Prometheus /metrics (and /alive, /ready)"),
    ("store", "--store", "STORE", str, "store URL: memory or postgresql://user:pw@host/db"),
    ("passivation_timeout", "--passivation-timeout", "PASSIVATION_TIMEOUT", _positive(parse_duration), "idle time"),
    (
        "event_sourced_passivation_timeout",
        "--event-sourced-passivation-timeout",
        "EVENT_SOURCED_PASSIVATION_TIMEOUT",
        _positive(parse_duration),
        "idle time of event-sourced entities",
    ),
    (
        "value_entity_passivation_timeout",
        "--value-entity-passivation-timeout",
        "VALUE_ENTITY_PASSIVATION_TIMEOUT",
        _positive(parse_duration),
        "idle time of value entities",
    ),
    (
        "crdt_passivation_timeout",
        "--crdt-passivation-timeout",
        "CRDT_PASSIVATION_TIMEOUT",
        _positive(parse_duration),
        "idle time of CRDT entities",
    ),
    ("relay_timeout", "--relay-timeout", "RELAY_TIMEOUT", _positive(parse_duration), "wait for a user function reply"),
    ("strict_protocol", "--strict-protocol", "PROTOCOL_STRICT", parse_bool, "refuse user functions reporting 0.0"),
    (
        "discovery_backoff_min",
        "--discovery-backoff-min",
        "DISCOVERY_BACKOFF_MIN",
        _positive(parse_duration),
        "first delay between discovery attempts",
    ),
    (
        "discovery_backoff_max",
        "--discovery-backoff-max",
        "DISCOVERY_BACKOFF_MAX",
        _positive(parse_duration),
        "longest delay between discovery attempts",
    ),
    ("max_message_size", "--max-message-size", "MAX_MESSAGE_SIZE", parse_size, "largest gRPC message"),
    ("shutdown_grace", "--shutdown-grace", "SHUTDOWN_GRACE", _positive(parse_duration), "drain time on SIGTERM"),
    ("log_level", "--log-level", "LOG_LEVEL", str, "debug, info, warning or error"),
    ("replica_id", "--replica-id", "REPLICA_ID", str, "CRDT replica id, unique among proxies sharing a store"),
    (
        "crdt_write_timeout",
        "--crdt-write-timeout",
        "CRDT_WRITE_TIMEOUT",
        _positive(parse_duration),
        "wait for MAJORITY/ALL CRDT writes",
    ),
    (
        "crdt_heartbeat_interval",
        "--crdt-heartbeat-interval",
        "CRDT_HEARTBEAT_INTERVAL",
        _positive(parse_duration),
        "how often a proxy reports itself alive to the other CRDT replicas",
    ),
    (
        "crdt_liveness_window",
        "--crdt-liveness-window",
        "CRDT_LIVENESS_WINDOW",
        _positive(parse_duration),
        "a replica not heard from for this long is down",
    ),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudstate-proxy",
        description="The Cloudstate reference proxy (protocol 0.2): serves a user function's entities over "
        "gRPC and HTTP/JSON and keeps their state. Every flag falls back to the environment variable shown.",
    )
    defaults = Settings()
    for field, flag, env, _, text in _OPTIONS:
        default = getattr(defaults, field)
        parser.add_argument(flag, dest=field, metavar=env, help=f"{text} [env {env}; default {default}]".strip())
    return parser


def parse_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Settings from flags, then environment variables, then defaults."""
    flags = vars(_parser().parse_args(list(argv)))
    values: dict[str, Any] = {}
    for field, flag, env, parse, _ in _OPTIONS:
        raw, source = flags.get(field), flag
        if raw is None:
            raw, source = environ.get(env) or None, env
        if raw is None:
            continue
        try:
            values[field] = parse(raw)
        except ValueError as error:
            raise SettingsError(f"invalid value for {source} ({flag} / {env}): {error}") from None
    settings = Settings(**values)
    if settings.discovery_backoff_min > settings.discovery_backoff_max:
        raise SettingsError("DISCOVERY_BACKOFF_MIN must not exceed DISCOVERY_BACKOFF_MAX")
    if settings.crdt_liveness_window <= settings.crdt_heartbeat_interval:
        raise SettingsError("CRDT_LIVENESS_WINDOW must be longer than CRDT_HEARTBEAT_INTERVAL")
    return settings
