"""Prometheus metrics, in a registry of the proxy's own (served on METRICS_PORT at /metrics).

A registry per :class:`Metrics` instance (rather than the process-global
default) keeps several proxies in one process, as in the tests, apart.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_CALL = ("service", "method")


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands_received = Counter(
            "cloudstate_commands_received", "Client calls received, per service and method.", _CALL, registry=r
        )
        self.commands_completed = Counter(
            "cloudstate_commands_completed", "Client calls completed successfully.", _CALL, registry=r
        )
        self.commands_failed = Counter(
            "cloudstate_commands_failed", "Client calls failed, by gRPC status code.", (*_CALL, "code"), registry=r
        )
        self.command_seconds = Histogram(
            "cloudstate_command_duration_seconds", "Time from receiving a call to its answer.", _CALL, registry=r
        )
        self.journal_writes = Counter(
            "cloudstate_journal_writes", "Atomic journal appends, per persistence id.", ("persistence_id",), registry=r
        )
        self.events_persisted = Counter(
            "cloudstate_events_persisted", "Events written to the journal.", ("persistence_id",), registry=r
        )
        self.snapshots_persisted = Counter(
            "cloudstate_snapshots_persisted", "Snapshots written to the journal.", ("persistence_id",), registry=r
        )
        self.value_writes = Counter(
            "cloudstate_value_writes", "Value entity updates and deletes.", ("persistence_id", "action"), registry=r
        )
        self.active_entities = Gauge(
            "cloudstate_active_entities", "Entity instances with an open stream.", ("service",), registry=r
        )
        self.activations = Counter(
            "cloudstate_entity_activations", "Entity streams opened (loads).", ("service",), registry=r
        )
        self.passivations = Counter(
            "cloudstate_entity_passivations", "Entity streams closed after the idle timeout.", ("service",), registry=r
        )
        self.entity_failures = Counter(
            "cloudstate_entity_failures",
            "Entity streams ended by a crash, protocol violation, timeout or store error.",
            ("service", "reason"),
            registry=r,
        )

    def render(self) -> bytes:
        text: bytes = generate_latest(self.registry)
        return text
