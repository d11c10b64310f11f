"""Event-sourced entities: state rebuilt from the events that commands emit.

    cart = EventSourcedEntity(
        "com.example.shoppingcart.ShoppingCart", persistence_id="shopping-cart", snapshot_every=50, initial_state=Cart
    )

    @cart.command("AddItem")
    def add_item(state: Cart, item: AddLineItem, ctx: EventSourcedContext) -> Empty:
        ctx.emit(ItemAdded(...))
        return Empty()

    @cart.event
    def item_added(state: Cart, event: ItemAdded) -> Cart:
        ...

Event handlers take ``(state, event)`` and return the new state (or None when
they changed ``state`` in place). They must be deterministic and free of side
effects: they run again on every replay.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, overload

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from cloudstate_sdk._definition import EntityDefinition, HandlerT, check_signature, state_factory
from cloudstate_sdk.context import EntityContext
from cloudstate_sdk.errors import DefinitionError, HandlerError
from cloudstate_sdk.metadata import Metadata

if TYPE_CHECKING:
    from cloudstate_sdk._eventsourced_runtime import EventSourcedInstance


def _event_key(event_type: type) -> object:
    # Messages are matched by full name, so that a message class built from
    # another descriptor pool still finds its handler.
    if issubclass(event_type, Message):
        return event_type.DESCRIPTOR.full_name
    return event_type


class EventSourcedEntity(EntityDefinition):
    """The definition of an event-sourced entity type serving one gRPC service.

    ``snapshot_every``: attach a snapshot to a reply whenever one of its events
    has a sequence number divisible by this number; 0 (the default) never
    snapshots. ``initial_state``: the state of an entity without events (a
    value, copied per entity, or a function of no argument or of the entity id).
    """

    entity_type = "cloudstate.eventsourced.EventSourced"
    kind = "event sourced entity"

    def __init__(
        self,
        service: ServiceDescriptor | str,
        *,
        persistence_id: str | None = None,
        snapshot_every: int = 0,
        initial_state: object = None,
        passivation_timeout: timedelta | None = None,
    ) -> None:
        super().__init__(service, persistence_id=persistence_id, passivation_timeout=passivation_timeout)
        if not isinstance(snapshot_every, int) or isinstance(snapshot_every, bool) or snapshot_every < 0:
            raise DefinitionError(f"snapshot_every must be an int >= 0 (0 = never), got {snapshot_every!r}")
        self.snapshot_every = snapshot_every
        self.new_state = state_factory(initial_state)
        self._events: dict[object, Callable[[Any, Any], Any]] = {}
        self._snapshot: Callable[[Any], Any] = lambda state: state
        self._snapshot_handler: Callable[[Any], Any] = lambda snapshot: snapshot

    @overload
    def event(self, event_type: type) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def event(self, event_type: HandlerT) -> HandlerT: ...
    def event(self, event_type: Any) -> Any:
        """Register an event handler ``(state, event) -> new state``.

        Use ``@entity.event(ItemAdded)``, or plain ``@entity.event`` when the
        handler's second parameter is annotated with the event type.
        """
        if isinstance(event_type, type):
            return lambda fn: self._register_event(event_type, fn)
        fn = event_type
        return self._register_event(self._annotated_event_type(fn), fn)

    def _annotated_event_type(self, fn: Callable[..., Any]) -> type:
        check_signature(fn, ("state", "event"), "the event handler")
        params = list(inspect.signature(fn).parameters)
        try:
            hint = typing.get_type_hints(fn).get(params[1]) if len(params) >= 2 else None
        except Exception:
            hint = None
        if not isinstance(hint, type):
            raise DefinitionError(
                f"cannot tell which event type {fn.__qualname__} handles: annotate its second parameter with "
                "the event class or name it explicitly, e.g. @entity.event(ItemAdded)"
            )
        return hint

    def _register_event(self, event_type: type, fn: HandlerT) -> HandlerT:
        check_signature(fn, ("state", "event"), "the event handler")
        if inspect.iscoroutinefunction(fn):
            raise DefinitionError(f"event handler {fn.__qualname__} must be a plain function, not async")
        key = _event_key(event_type)
        if key in self._events:
            raise DefinitionError(
                f"{event_type.__qualname__} already has an event handler ({self._events[key].__qualname__}) "
                f"in {self.service_name}"
            )
        self._events[key] = fn
        return fn

    def snapshot(self, fn: HandlerT) -> HandlerT:
        """Register ``(state) -> snapshot``; without one, the state itself is the snapshot."""
        check_signature(fn, ("state",), "the snapshot function")
        self._snapshot = fn
        return fn

    def snapshot_handler(self, fn: HandlerT) -> HandlerT:
        """Register ``(snapshot) -> state``; without one, the snapshot itself becomes the state."""
        check_signature(fn, ("snapshot",), "the snapshot handler")
        self._snapshot_handler = fn
        return fn

    def event_handler_for(self, event: object) -> Callable[[Any, Any], Any] | None:
        """The handler of ``event``'s type (searching base classes for non-messages)."""
        if isinstance(event, Message):
            return self._events.get(event.DESCRIPTOR.full_name)
        for base in type(event).__mro__:
            if base in self._events:
                return self._events[base]
        return None

    def make_snapshot(self, state: object) -> object:
        return self._snapshot(state)

    def restore_snapshot(self, snapshot: object) -> object:
        return self._snapshot_handler(snapshot)


class EventSourcedContext(EntityContext):
    """The context of one command of an event-sourced entity."""

    def __init__(self, instance: EventSourcedInstance, command_id: int, command_name: str, metadata: Metadata) -> None:
        super().__init__(instance.entity_id, command_id, command_name, metadata)
        self._instance = instance
        self._open = True

    @property
    def state(self) -> Any:
        """The current state, including the events emitted so far by this command."""
        return self._instance.state

    @property
    def sequence_number(self) -> int:
        """The sequence number of the last event applied (emitted events included)."""
        return self._instance.sequence

    def emit(self, event: object) -> None:
        """Emit ``event``: it is applied to the state at once and persisted with the reply."""
        if not self._open:
            raise HandlerError("emit() was called after the command had finished")
        self._instance.emit(event)
