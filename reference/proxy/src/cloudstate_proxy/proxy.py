"""The running proxy: start-up order, serving, graceful shutdown (spec/01-transport.md).

Start-up: health and metrics endpoints first (alive, not ready); then the
store and discovery, retried until they succeed; then the engines, the
internal gRPC and HTTP servers and the public one-port front; then ready.
A failed discovery leaves the process alive and unready until it is stopped.

Shutdown: unready at once, refuse new calls, stop accepting connections and
let calls in progress finish within the grace period, passivate every
entity, then close the store and the connection to the user function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from cloudstate_proxy import discovery, engines
from cloudstate_proxy.errors import DiscoveryError
from cloudstate_proxy.http import HttpRuleError
from cloudstate_proxy.management import management_app
from cloudstate_proxy.metrics import Metrics
from cloudstate_proxy.reporting import ErrorReporter
from cloudstate_proxy.serving import Serving
from cloudstate_proxy.settings import MIB, Settings
from cloudstate_proxy.sites import Sites
from cloudstate_proxy.stores import Store, open_store

log = logging.getLogger(__name__)


class Proxy:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.store = store or open_store(settings.store)
        self.discovery_error: DiscoveryError | None = None
        self.serving: Serving | None = None
        self._management = Sites()
        self._channel: grpc.aio.Channel | None = None
        self._reporter: ErrorReporter | None = None
        self._startup: asyncio.Task[None] | None = None
        self._stopping = False
        self._stopped = asyncio.Event()

    @property
    def management_ports(self) -> tuple[int, ...]:
        return self._management.ports

    async def ready(self) -> bool:
        return self.serving is not None and not self._stopping and await self.store.healthy()

    async def start(self) -> None:
        """Serve health and metrics, then discover and serve in the background."""
        app = management_app(self.metrics, self.ready)
        ports = dict.fromkeys((self.settings.management_port, self.settings.metrics_port))
        await self._management.start(app, [("0.0.0.0", port) for port in ports])
        # The limit protects the public port; toward the user function at least 12 MiB always (TRN-011), so that
        # discovery (the descriptor set) and large states pass whatever the client limit is.
        size = max(self.settings.max_message_size, MIB * 12)
        options = [("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
        # Reconnecting after the user function went away uses the discovery backoff (TRN-036); gRPC's own
        # default grows to two minutes, long after a restarted user function is back.
        low, high = (
            round(s * 1000) for s in (self.settings.discovery_backoff_min, self.settings.discovery_backoff_max)
        )
        options += [
            ("grpc.initial_reconnect_backoff_ms", low),
            ("grpc.min_reconnect_backoff_ms", low),
            ("grpc.max_reconnect_backoff_ms", high),
        ]
        target = f"{self.settings.user_function_host}:{self.settings.user_function_port}"
        self._channel = grpc.aio.insecure_channel(target, options=options)
        self._reporter = ErrorReporter(self._channel)
        self._startup = asyncio.get_running_loop().create_task(self._discover_and_serve(), name="startup")

    async def wait_started(self) -> None:
        """Until serving or discovery has failed for good (tests and callers that need the outcome)."""
        assert self._startup is not None, "start() first"
        await asyncio.shield(self._startup)

    async def _discover_and_serve(self) -> None:
        assert self._channel is not None, "start() first"
        assert self._reporter is not None, "start() first"
        await self._start_store()
        supported = engines.supported_rules()
        try:
            found = await discovery.discover(self._channel, self.settings, self._reporter, supported)
        except DiscoveryError as error:
            self.discovery_error = error
            log.error("discovery failed; the proxy stays unready until it is stopped", extra={"problem": str(error)})
            return
        try:
            serving = Serving(self.settings, found, self._channel, self.store, self._reporter, self.metrics)
        except HttpRuleError as error:
            self.discovery_error = DiscoveryError(f"invalid EntitySpec: {error}")
            await self._reporter.send(str(self.discovery_error))
            log.error("discovery failed; the proxy stays unready until it is stopped", extra={"problem": str(error)})
            return
        await serving.start()
        self.serving = serving
        log.info("serving", extra={"http_port": serving.http_port, "grpc_port": serving.grpc_port})

    async def _start_store(self) -> None:
        backoff = discovery.Backoff(
            self.settings.discovery_backoff_min,
            self.settings.discovery_backoff_max,
            self.settings.discovery_backoff_jitter,
        )
        while True:
            try:
                await self.store.start()
                return
            except Exception as error:
                delay = backoff.delay()
                log.warning("store not reachable yet; retrying", extra={"error": str(error), "retry_in_s": delay})
                await asyncio.sleep(delay)

    async def stop(self) -> None:
        """Graceful shutdown; safe to call more than once."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        grace = self.settings.shutdown_grace
        log.info("shutting down", extra={"grace_s": grace})
        if self._startup is not None:
            self._startup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._startup
        if self.serving is not None:
            await self.serving.stop(grace)
        if self._reporter is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reporter.flush(), 1.0)
        if self._channel is not None:
            await self._channel.close()
        await self.store.close()
        await self._management.stop()
        self._stopped.set()
        log.info("stopped")
