"""Everything that runs once discovery has succeeded: engines, router, servers, the public front.

The gRPC server (with the user's services, health checking and server
reflection) and the HTTP/JSON server listen on loopback ports of their own;
the :class:`~cloudstate_proxy.front.PortFront` owns HTTP_PORT and sorts
connections between them. ``--grpc-port`` exposes the gRPC server directly
as well.
"""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped,unused-ignore]
from grpc_reflection.v1alpha import reflection, reflection_pb2  # type: ignore[import-untyped,unused-ignore]

from cloudstate_proxy.descriptors import MethodModel, add_file
from cloudstate_proxy.discovery import Discovered
from cloudstate_proxy.engines import CRDT, ENGINE_TYPES, Engine, Outcome, Runtime
from cloudstate_proxy.front import PortFront
from cloudstate_proxy.grpc_ingress import generic_handlers, unknown_methods
from cloudstate_proxy.http import build_http_app
from cloudstate_proxy.metrics import Metrics
from cloudstate_proxy.reporting import ErrorReporter
from cloudstate_proxy.router import Router
from cloudstate_proxy.settings import Settings
from cloudstate_proxy.sites import Sites
from cloudstate_proxy.stores import Store
from cloudstate_proxy.stores.replication import Replication, default_replica_id

LOOPBACK = "127.0.0.1"


class Serving:
    def __init__(
        self,
        settings: Settings,
        found: Discovered,
        channel: grpc.aio.Channel,
        store: Store,
        reporter: ErrorReporter,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.found = found
        # CRDT replication (liveness heartbeats, change notices) only runs when the user function has CRDTs.
        self.replication: Replication | None = None
        if any(s.entity_type == CRDT for s in found.services):
            replica = settings.replica_id or default_replica_id()
            heartbeat, window = settings.crdt_heartbeat_interval, settings.crdt_liveness_window
            self.replication = store.replication(replica, heartbeat, window)
        runtime = Runtime(channel, store, reporter, metrics, settings, self.replication)
        self.engines: dict[str, Engine] = {
            s.name: ENGINE_TYPES[s.entity_type].create(s, runtime) for s in found.services
        }
        self.router = Router(found.services, self.engines, reporter, metrics, settings.relay_timeout)
        for engine in self.engines.values():
            engine.detached = self._detached
        # Built here, not in start(), so that an invalid google.api.http rule fails before anything listens.
        self._http_app = build_http_app(
            [s.descriptor for s in found.services], self.router, max_message_bytes=settings.max_message_size
        )
        self.health = health.aio.HealthServicer()
        size = settings.max_message_size
        options = [("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
        self._grpc = grpc.aio.server(options=options)
        self._http = Sites()
        self._front: PortFront | None = None
        self.grpc_port: int | None = None  # the direct gRPC port, when --grpc-port asked for one

    def _detached(self, method: MethodModel, outcome: Outcome, entity_id: str) -> None:
        self.router.effects.spawn(self.router.settle(method, outcome, entity_id))

    @property
    def http_port(self) -> int:
        assert self._front is not None, "not started"
        return self._front.port

    def _add_grpc_services(self) -> None:
        services = self.found.services
        self._grpc.add_generic_rpc_handlers(generic_handlers(services, self.router))
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._grpc)
        # Reflection answers from the user's descriptors; it describes itself and health checking too.
        pool = self.found.pool
        add_file(pool, reflection_pb2.DESCRIPTOR)
        add_file(pool, health_pb2.DESCRIPTOR)
        names = [s.name for s in services] + [reflection.SERVICE_NAME, health.SERVICE_NAME]
        reflection.enable_server_reflection(names, self._grpc, pool=pool)
        self._grpc.add_generic_rpc_handlers([unknown_methods(services)])  # last: only what nothing else serves

    async def start(self) -> None:
        if self.replication is not None:
            await self.replication.start()
        self._add_grpc_services()
        internal = self._grpc.add_insecure_port(f"{LOOPBACK}:0")
        if self.settings.grpc_port is not None:
            self.grpc_port = self._grpc.add_insecure_port(f"{self.settings.http_host}:{self.settings.grpc_port}")
        await self._grpc.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        for service in self.found.services:
            await self.health.set(service.name, health_pb2.HealthCheckResponse.SERVING)
        await self._http.start(self._http_app, [(LOOPBACK, 0)], shutdown_timeout=self.settings.shutdown_grace)
        self._front = PortFront(
            self.settings.http_host, self.settings.http_port, (LOOPBACK, internal), (LOOPBACK, self._http.ports[0])
        )
        await self._front.start()

    async def stop(self, grace: float) -> None:
        """Refuse new calls, let those in progress finish (up to ``grace``), then passivate every entity."""
        self.router.closing = True
        await self.health.enter_graceful_shutdown()
        closing = [self._grpc.stop(grace), self._http.stop()]
        if self._front is not None:
            closing.append(self._front.close(grace))
        await asyncio.gather(*closing)
        await self.router.effects.drain(grace)
        await asyncio.gather(*(engine.close(grace) for engine in self.engines.values()))
        if self.replication is not None:
            await self.replication.close()
