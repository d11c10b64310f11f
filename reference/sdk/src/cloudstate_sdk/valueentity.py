"""Value entities: the whole state is one stored value that commands replace or delete.

    counter = ValueEntity("com.example.Counter", persistence_id="counter", initial_state=CounterValue)

    @counter.command("Increase")
    def increase(state: CounterValue, command: IncreaseValue, ctx: ValueEntityContext) -> Empty:
        ctx.update_state(CounterValue(value=state.value + command.value))
        return Empty()

The state is stored only when a handler calls ``update_state`` (or removed by
``delete_state``); the last of these calls in a command wins, and a failed
command stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor

from cloudstate_sdk._definition import EntityDefinition, state_factory
from cloudstate_sdk.context import EntityContext
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.metadata import Metadata

#: Sentinel for "the handler asked to delete the state".
DELETED: Any = object()


class ValueEntity(EntityDefinition):
    """The definition of a value entity type serving one gRPC service.

    ``initial_state``: the state of an entity with nothing stored (a value,
    copied per entity, or a function of no argument or of the entity id).
    """

    entity_type = "cloudstate.valueentity.ValueEntity"
    kind = "value entity"

    def __init__(
        self,
        service: ServiceDescriptor | str,
        *,
        persistence_id: str | None = None,
        initial_state: object = None,
        passivation_timeout: timedelta | None = None,
    ) -> None:
        super().__init__(service, persistence_id=persistence_id, passivation_timeout=passivation_timeout)
        self.new_state: Callable[[str], Any] = state_factory(initial_state)


class ValueEntityContext(EntityContext):
    """The context of one command of a value entity."""

    def __init__(
        self, entity: ValueEntity, state: Any, entity_id: str, command_id: int, command_name: str, metadata: Metadata
    ) -> None:
        super().__init__(entity_id, command_id, command_name, metadata)
        self._entity = entity
        self._state = state
        self._action: Any = None  # None: no change; DELETED; or the new value
        self._open = True

    @property
    def state(self) -> Any:
        """The current state, as changed by this command's update_state/delete_state calls so far."""
        return self._state

    def update_state(self, value: object) -> None:
        """Store ``value`` as the new state when the command succeeds."""
        if value is None:
            raise HandlerError("update_state(None) is not allowed; call delete_state() to remove the state")
        self._check_open()
        self._action = self._state = value

    def delete_state(self) -> None:
        """Remove the stored state when the command succeeds; the entity starts over from its initial state."""
        self._check_open()
        self._action = DELETED
        self._state = self._entity.new_state(self.entity_id)

    def _check_open(self) -> None:
        if not self._open:
            raise HandlerError("the state was changed after the command had finished")
