"""What every engine shares: the invocation it runs, the outcome it returns, its runtime.

An engine serves the services of one entity type. It takes an
:class:`Invocation` (a packed request for one method, plus metadata and, for
entities, the entity id), does whatever the protocol of its entity type
demands, persists state changes, and returns an :class:`Outcome`: the user
function's decision for the client (reply, forward, failure or nothing) and
the side effects to run. Running the side effects and forwards is the
router's job (:mod:`cloudstate_proxy.router`), so that an entity never waits
for them before it takes its next command.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator, Callable

import grpc
from cloudstate import action_pb2, entity_pb2
from google.protobuf import any_pb2

from cloudstate_proxy.descriptors import MethodModel, ServiceModel
from cloudstate_proxy.errors import UnknownMethod
from cloudstate_proxy.metrics import Metrics
from cloudstate_proxy.reporting import ErrorReporter
from cloudstate_proxy.settings import Settings
from cloudstate_proxy.stores.base import Store
from cloudstate_proxy.stores.replication import Replication


@dataclasses.dataclass(frozen=True)
class Invocation:
    """One request for one method: the packed message, its metadata, and the entity it addresses."""

    method: MethodModel
    payload: any_pb2.Any
    metadata: entity_pb2.Metadata
    entity_id: str = ""  # empty for actions

    def command(self, entity_id: str, command_id: int, *, streamed: bool = False) -> entity_pb2.Command:
        """The ``Command`` that carries this invocation on an entity stream."""
        return entity_pb2.Command(
            entity_id=entity_id,
            id=command_id,
            name=self.method.name,
            payload=self.payload,
            streamed=streamed,
            metadata=self.metadata,
        )


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The user function's decision about one command (or one streamed action response)."""

    reply: entity_pb2.Reply | None = None
    forward: entity_pb2.Forward | None = None
    failure: entity_pb2.Failure | None = None
    side_effects: tuple[entity_pb2.SideEffect, ...] = ()

    @classmethod
    def of(cls, action: entity_pb2.ClientAction, side_effects: tuple[entity_pb2.SideEffect, ...] = ()) -> Outcome:
        which = action.WhichOneof("action")
        return cls(
            reply=action.reply if which == "reply" else None,
            forward=action.forward if which == "forward" else None,
            failure=action.failure if which == "failure" else None,
            side_effects=side_effects,
        )

    @classmethod
    def of_action(cls, response: action_pb2.ActionResponse) -> Outcome:
        which = response.WhichOneof("response")
        return cls(
            reply=response.reply if which == "reply" else None,
            forward=response.forward if which == "forward" else None,
            failure=response.failure if which == "failure" else None,
            side_effects=tuple(response.side_effects),
        )

    @property
    def restart(self) -> bool:
        """True when a client failure asks the proxy to reload the entity."""
        return self.failure is not None and self.failure.restart


@dataclasses.dataclass(frozen=True)
class Runtime:
    """What engines need from the running proxy."""

    channel: grpc.aio.Channel  # to the user function
    store: Store
    reporter: ErrorReporter
    metrics: Metrics
    settings: Settings
    #: CRDT replication among the proxies sharing the store (None: no CRDT entity is served).
    replication: Replication | None = None


#: Settles, in the background, an outcome that no client waits for (the side effects of a cancelled CRDT
#: stream): ``detached(method, outcome, entity_id)``.
Detached = Callable[[MethodModel, Outcome, str], None]


class Engine:
    """Serves the methods of one service; shapes an entity type does not allow stay unimplemented."""

    def __init__(self, service: ServiceModel, runtime: Runtime) -> None:
        self.service = service
        self.runtime = runtime
        #: Set by the proxy once its router exists.
        self.detached: Detached | None = None

    def _unsupported(self, invocation: MethodModel) -> UnknownMethod:
        return UnknownMethod(f"{invocation.service}.{invocation.name}: call shape not supported by this entity type")

    async def unary(self, invocation: Invocation) -> Outcome:
        raise self._unsupported(invocation.method)

    def server_streaming(self, invocation: Invocation) -> AsyncGenerator[Outcome, None]:
        raise self._unsupported(invocation.method)

    async def client_streaming(
        self, method: MethodModel, metadata: entity_pb2.Metadata, payloads: AsyncIterator[any_pb2.Any]
    ) -> Outcome:
        raise self._unsupported(method)

    def bidi_streaming(
        self, method: MethodModel, metadata: entity_pb2.Metadata, payloads: AsyncIterator[any_pb2.Any]
    ) -> AsyncGenerator[Outcome, None]:
        raise self._unsupported(method)

    async def close(self, grace: float) -> None:
        """Finish or end what is in progress (passivate entities) within ``grace`` seconds.

        Engines without state between calls (actions) have nothing to do here.
        """
        return None
