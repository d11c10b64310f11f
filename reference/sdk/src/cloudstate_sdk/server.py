"""The gRPC server that a proxy talks to.

    cloudstate_sdk.serve([cart, greeter])                  # blocks until SIGTERM/SIGINT

or, inside an asyncio program or a test:

    async with Server([cart], port=0) as server:
        ...  # server.port is the bound port

The address comes from the arguments, else from the ``HOST`` and ``PORT``
environment variables, else 127.0.0.1:8080.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import grpc
from cloudstate import action_pb2_grpc, crdt_pb2_grpc, entity_pb2_grpc, event_sourced_pb2_grpc, value_entity_pb2_grpc

from cloudstate_sdk._action_servicer import ActionServicer
from cloudstate_sdk._crdt_servicer import CrdtServicer
from cloudstate_sdk._definition import Definition
from cloudstate_sdk._eventsourced_servicer import EventSourcedServicer
from cloudstate_sdk._valueentity_servicer import ValueEntityServicer
from cloudstate_sdk.action import Action
from cloudstate_sdk.crdt import CrdtEntity
from cloudstate_sdk.discovery import DiscoveryServicer, entity_spec, service_info
from cloudstate_sdk.errors import DefinitionError
from cloudstate_sdk.eventsourced import EventSourcedEntity
from cloudstate_sdk.valueentity import ValueEntity

logger = logging.getLogger("cloudstate_sdk")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def _address(host: str | None, port: int | None) -> tuple[str, int]:
    host = host if host is not None else os.environ.get("HOST", DEFAULT_HOST)
    if port is None:
        raw = os.environ.get("PORT", str(DEFAULT_PORT))
        try:
            port = int(raw)
        except ValueError:
            raise DefinitionError(f"the PORT environment variable must be a number, got {raw!r}") from None
    return host, port


def _by_service(definitions: Sequence[Definition], kind: type[Definition]) -> dict[str, Any]:
    return {d.service_name: d for d in definitions if isinstance(d, kind)}


class Server:
    """Serves discovery and the protocols of the given entities and actions."""

    def __init__(
        self,
        entities: Sequence[Definition],
        *,
        host: str | None = None,
        port: int | None = None,
        service_name: str = "",
        service_version: str = "",
        shutdown_grace: float = 5.0,
    ) -> None:
        entities = list(entities)
        if not entities:
            raise DefinitionError("give the server at least one entity or action to serve")
        seen: set[str] = set()
        for definition in entities:
            if not isinstance(definition, EventSourcedEntity | ValueEntity | CrdtEntity | Action):
                raise DefinitionError(
                    f"cannot serve {definition!r}: pass EventSourcedEntity, ValueEntity, CrdtEntity or Action"
                )
            if definition.service_name in seen:
                raise DefinitionError(f"{definition.service_name} is given twice; each service is served once")
            seen.add(definition.service_name)
            definition.validate()
        self.entities = entities
        self.host, self._port = _address(host, port)
        self._grace = shutdown_grace
        self._spec = entity_spec(entities, service_info(service_name, service_version))
        self._server: Any = None

    @property
    def port(self) -> int:
        """The bound port once started (useful with port 0), else the configured one."""
        return self._port

    @property
    def address(self) -> str:
        return f"{self.host}:{self._port}"

    async def start(self) -> None:
        server = grpc.aio.server()
        entity_pb2_grpc.add_EntityDiscoveryServicer_to_server(DiscoveryServicer(self._spec), server)
        if es := _by_service(self.entities, EventSourcedEntity):
            event_sourced_pb2_grpc.add_EventSourcedServicer_to_server(EventSourcedServicer(es), server)
        if ve := _by_service(self.entities, ValueEntity):
            value_entity_pb2_grpc.add_ValueEntityServicer_to_server(ValueEntityServicer(ve), server)
        if crdts := _by_service(self.entities, CrdtEntity):
            crdt_pb2_grpc.add_CrdtServicer_to_server(CrdtServicer(crdts), server)
        if actions := _by_service(self.entities, Action):
            action_pb2_grpc.add_ActionProtocolServicer_to_server(ActionServicer(actions), server)
        self._port = server.add_insecure_port(f"{self.host}:{self._port}")
        await server.start()
        self._server = server
        names = ", ".join(d.service_name for d in self.entities)
        logger.info("serving %s on %s", names, self.address)

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting calls and end running ones after ``grace`` seconds."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(self._grace if grace is None else grace)

    async def wait_for_termination(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()

    async def run(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then shut down gracefully."""
        await self.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        try:
            await stopping.wait()
            logger.info("shutting down (grace %.1f s)", self._grace)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            await self.stop()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.stop(0)


def serve(
    entities: Sequence[Definition],
    *,
    host: str | None = None,
    port: int | None = None,
    service_name: str = "",
    service_version: str = "",
) -> None:
    """Serve ``entities`` until SIGTERM or SIGINT (the entry point of a user function)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = Server(entities, host=host, port=port, service_name=service_name, service_version=service_version)
    asyncio.run(server.run())
