"""CRDT entities: replicated values (counters, sets, maps, ...) that the proxy
merges across replicas.

    likes = CrdtEntity("com.example.Likes", initial_state=GCounter)

    @likes.command("Like")
    def like(state: GCounter, request: LikeRequest, ctx: CrdtContext) -> LikeCount:
        state.increment()
        return LikeCount(count=state.value)

Handlers change the CRDT in place; the SDK sends the change as a delta with the
reply. Server-streaming methods can keep the client informed: register
``ctx.on_change(callback)`` (called with ``(state, SubscriptionContext)`` after
every change) and ``ctx.on_cancel(callback)`` (called when the client goes away).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from cloudstate_sdk._crdt_base import Crdt, WriteConsistency
from cloudstate_sdk._definition import EntityDefinition, check_signature, state_factory
from cloudstate_sdk.context import EntityContext
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.metadata import Metadata

ChangeCallback = Callable[[Any, "SubscriptionContext"], Any]
CancelCallback = Callable[[Any, "StreamCancelledContext"], Any]


class CrdtEntity(EntityDefinition):
    """The definition of a CRDT entity type serving one gRPC service.

    ``initial_state``: the CRDT of an entity for which the proxy has none yet
    when its first command arrives: a function of no argument or of the entity
    id (e.g. ``GCounter``), or a CRDT that is copied. Without it the state
    stays None until a handler calls ``ctx.set_state``.
    """

    entity_type = "cloudstate.crdt.Crdt"
    kind = "CRDT entity"

    def __init__(
        self,
        service: ServiceDescriptor | str,
        *,
        persistence_id: str | None = None,
        initial_state: object = None,
        passivation_timeout: timedelta | None = None,
    ) -> None:
        super().__init__(service, persistence_id=persistence_id, passivation_timeout=passivation_timeout)
        self._initial = state_factory(initial_state)

    def _shape_problem(self, method: MethodDescriptor) -> str | None:
        if method.client_streaming:
            return "client-streaming (CRDT entities serve unary and server-streaming methods)"
        return None

    def new_state(self, entity_id: str) -> Crdt | None:
        state = self._initial(entity_id)
        if state is not None and not isinstance(state, Crdt):
            raise HandlerError(f"initial_state of {self.service_name} gave {state!r}, not a CRDT")
        return state


class _StateHolder:
    """The entity's current CRDT, shared by a command's contexts."""

    crdt: Crdt | None
    deleted: bool

    def _open_streams(self, method_name: str | None, exclude: int) -> int:
        raise NotImplementedError


class _CrdtEntityContext(EntityContext):
    """What the CRDT contexts share: the entity's CRDT and its open streamed calls."""

    def __init__(self, holder: _StateHolder, entity_id: str, command_id: int, name: str, metadata: Metadata) -> None:
        super().__init__(entity_id, command_id, name, metadata)
        self._holder = holder

    @property
    def state(self) -> Any:
        """The entity's CRDT, or None when it has none yet."""
        return self._holder.crdt

    def open_streams(self, method_name: str | None = None) -> int:
        """How many other streamed calls of this entity are open here, optionally only calls of ``method_name``.

        A streamed call counts from the moment its handler registered ``on_change``
        or ``on_cancel`` until it ends or its client goes away; the call this context
        belongs to is never counted. The count is local to this user function: a
        presence tracker votes true on the first connection and false when the last
        one goes (``ctx.open_streams("Connect") == 0`` in ``on_cancel``).
        """
        return self._holder._open_streams(method_name, self.command_id)


class CrdtContext(_CrdtEntityContext):
    """The context of one command of a CRDT entity."""

    def __init__(
        self, holder: _StateHolder, entity_id: str, command_id: int, name: str, metadata: Metadata, streamed: bool
    ) -> None:
        super().__init__(holder, entity_id, command_id, name, metadata)
        self._streamed = streamed
        self.write_consistency = WriteConsistency.LOCAL
        self._delete = False
        self._on_change: ChangeCallback | None = None
        self._on_cancel: CancelCallback | None = None

    def set_state(self, crdt: Crdt) -> None:
        """Give an entity without state its CRDT (its type is then fixed)."""
        if self._holder.crdt is not None:
            raise HandlerError("the entity already has a CRDT; change it instead of replacing it")
        if not isinstance(crdt, Crdt):
            raise HandlerError(f"set_state() takes a CRDT, not {crdt!r}")
        self._holder.crdt = crdt

    def delete(self) -> None:
        """Delete the entity once the command succeeds."""
        self._delete = True

    @property
    def streamed(self) -> bool:
        """True when the client called a server-streaming method and may be kept informed."""
        return self._streamed

    def on_change(self, callback: ChangeCallback) -> None:
        """Call ``callback(state, SubscriptionContext)`` after every later change of the state."""
        self._subscribe()
        check_signature(callback, ("state", "context"), "the on_change callback")
        self._on_change = callback

    def on_cancel(self, callback: CancelCallback) -> None:
        """Call ``callback(state, StreamCancelledContext)`` when the client goes away."""
        self._subscribe()
        check_signature(callback, ("state", "context"), "the on_cancel callback")
        self._on_cancel = callback

    def _subscribe(self) -> None:
        if not self._streamed:
            raise HandlerError(f"{self.command_name} was not called as a stream; check ctx.streamed first")


class SubscriptionContext(_CrdtEntityContext):
    """The context of an on_change callback: reply (return), forward, fail, effects, end the stream."""

    def __init__(self, holder: _StateHolder, entity_id: str, command_id: int, name: str, metadata: Metadata) -> None:
        super().__init__(holder, entity_id, command_id, name, metadata)
        self._end = False

    def end_stream(self) -> None:
        """Complete the client's stream after this message."""
        self._end = True


class StreamCancelledContext(_CrdtEntityContext):
    """The context of an on_cancel callback: change the state, add side effects."""

    def __init__(self, holder: _StateHolder, entity_id: str, command_id: int, name: str, metadata: Metadata) -> None:
        super().__init__(holder, entity_id, command_id, name, metadata)
        self.write_consistency = WriteConsistency.LOCAL
