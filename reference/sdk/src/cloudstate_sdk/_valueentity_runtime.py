"""One live value entity: its current state and command handling (shared by the
servicer and the testing module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import any_pb2

from cloudstate_sdk._definition import empty_output
from cloudstate_sdk.context import run_handler
from cloudstate_sdk.errors import HandlerError
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Outcome
from cloudstate_sdk.payloads import pack, unpack
from cloudstate_sdk.valueentity import DELETED, ValueEntity, ValueEntityContext


@dataclass
class ValueEntityResult:
    """Everything one command produced."""

    outcome: Outcome
    #: "update", "delete" or None (no change).
    state_action: str | None = None
    #: The new value, for an update.
    value: Any = None
    value_payload: any_pb2.Any | None = None


class ValueEntityInstance:
    """The in-memory entity between init and the end of its stream."""

    def __init__(self, entity: ValueEntity, entity_id: str, stored: any_pb2.Any | None = None) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self._stored = stored
        self.state: Any = self._load()

    def _load(self) -> Any:
        # After a failed command the state is read back from what is stored,
        # which also undoes changes a handler made to the state in place.
        return (
            self.entity.new_state(self.entity_id)
            if self._stored is None
            else unpack(self._stored, pool=self.entity.pool)
        )

    async def handle(self, command_id: int, name: str, command: object, metadata: Metadata) -> ValueEntityResult:
        found = self.entity.handler_for(name)
        if found is None:
            raise HandlerError(f"{self.entity.service_name} has no command {name!r}")
        method, handler = found
        where = f"command handler {handler.__qualname__} for {self.entity.service_name}/{name}"
        context = ValueEntityContext(self.entity, self.state, self.entity_id, command_id, name, metadata)
        try:
            outcome = await run_handler(handler, (self.state, command, context), context, method.output_type, where)
        finally:
            context._open = False
        if outcome.failure is not None:
            outcome.effects = []  # an entity failure carries nothing else
            self.state = self._load()
            return ValueEntityResult(outcome=outcome)
        if outcome.reply is None and outcome.forward is None:
            outcome.reply = empty_output(method)
        action = context._action
        if action is None:
            return ValueEntityResult(outcome=outcome)
        if action is DELETED:
            self._stored = None
            self.state = self.entity.new_state(self.entity_id)
            return ValueEntityResult(outcome=outcome, state_action="delete")
        payload = pack(action)
        self._stored, self.state = payload, action
        return ValueEntityResult(outcome=outcome, state_action="update", value=action, value_payload=payload)
