"""Value entities (spec/10-value-entities.md): init with the stored value, write updates before replying."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate import entity_pb2
from cloudstate import value_entity_pb2 as ve
from cloudstate import value_entity_pb2_grpc as ve_grpc
from google.protobuf import message

from cloudstate_proxy.engines.base import Outcome
from cloudstate_proxy.engines.session import EntitySession
from cloudstate_proxy.errors import ProtocolViolation


class ValueEntitySession(EntitySession):
    kind = "value entity"

    def open(self) -> Any:
        return ve_grpc.ValueEntityStub(self.runtime.channel).handle()

    async def prelude(self) -> Sequence[message.Message]:
        value = await self.runtime.store.values.get(self.service.persistence_id, self.entity_id)
        state = ve.ValueEntityInitState(value=value) if value is not None else ve.ValueEntityInitState()
        init = ve.ValueEntityInit(service_name=self.service.name, entity_id=self.entity_id, state=state)
        return [ve.ValueEntityStreamIn(init=init)]

    def command(self, command: entity_pb2.Command) -> message.Message:
        return ve.ValueEntityStreamIn(command=command)

    async def commit(self, reply: Any) -> Outcome:
        assert isinstance(reply, ve.ValueEntityReply)
        action = reply.state_action.WhichOneof("action") if reply.HasField("state_action") else None
        if action == "update" and not reply.state_action.update.HasField("value"):
            raise ProtocolViolation(f"reply to command {reply.command_id} updates the state without a value")
        outcome = self.outcome(reply, ["a state action"] if action else [])
        if outcome.failure is None and action is not None:
            pid, values = self.service.persistence_id, self.runtime.store.values
            if action == "update":
                await values.put(pid, self.entity_id, reply.state_action.update.value)
            else:
                await values.delete(pid, self.entity_id)
            self.runtime.metrics.value_writes.labels(pid, action).inc()
        return outcome
