"""Event-sourced entities (spec/09-event-sourced.md): replay on load, persist events before replying."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate import entity_pb2
from cloudstate import event_sourced_pb2 as es
from cloudstate import event_sourced_pb2_grpc as es_grpc
from google.protobuf import message

from cloudstate_proxy.engines.base import Outcome
from cloudstate_proxy.engines.session import EntitySession
from cloudstate_proxy.errors import ProtocolViolation


class EventSourcedSession(EntitySession):
    kind = "event-sourced entity"
    #: The sequence number of the last event the user function has applied on this stream.
    sequence = 0

    def open(self) -> Any:
        return es_grpc.EventSourcedStub(self.runtime.channel).handle()

    async def prelude(self) -> Sequence[message.Message]:
        recovery = await self.runtime.store.journal.recover(self.service.persistence_id, self.entity_id)
        init = es.EventSourcedInit(service_name=self.service.name, entity_id=self.entity_id)
        if recovery.snapshot is not None:
            init.snapshot.snapshot_sequence = recovery.snapshot.sequence
            init.snapshot.snapshot.CopyFrom(recovery.snapshot.payload)
        self.sequence = recovery.sequence
        return [
            es.EventSourcedStreamIn(init=init),
            *(
                es.EventSourcedStreamIn(event=es.EventSourcedEvent(sequence=e.sequence, payload=e.payload))
                for e in recovery.events
            ),
        ]

    def command(self, command: entity_pb2.Command) -> message.Message:
        return es.EventSourcedStreamIn(command=command)

    async def commit(self, reply: Any) -> Outcome:
        assert isinstance(reply, es.EventSourcedReply)
        has_snapshot = reply.HasField("snapshot")
        if has_snapshot and not reply.events:
            raise ProtocolViolation(f"reply to command {reply.command_id} carries a snapshot but no events")
        extras = [name for name, present in (("events", bool(reply.events)), ("a snapshot", has_snapshot)) if present]
        outcome = self.outcome(reply, extras)
        if outcome.failure is None and reply.events:
            pid, metrics = self.service.persistence_id, self.runtime.metrics
            snapshot = reply.snapshot if has_snapshot else None
            self.sequence = await self.runtime.store.journal.append(
                pid, self.entity_id, self.sequence, list(reply.events), snapshot
            )
            metrics.journal_writes.labels(pid).inc()
            metrics.events_persisted.labels(pid).inc(len(reply.events))
            if snapshot is not None:
                metrics.snapshots_persisted.labels(pid).inc()
        return outcome
