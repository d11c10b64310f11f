"""Proxy conformance for event-sourced entities: the TCK is the client of EventSourcedTckModel behind the proxy.

The machine keeps the journal the proxy should have written (``tck.models``):
every new stream the proxy opens for an entity must start with the latest
snapshot and the later events of that journal, whether the stream replaces one
that was crashed, restarted by ``Failure.restart`` or passivated. Commands
(some failing after emitting events, some asking for a restart) go over gRPC
or HTTP/JSON; see :mod:`tck.proxy.entity_machine` for what each step checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate.tck.model import eventsourced_pb2 as model_pb2
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.stateful import rule

from tck import strategies
from tck.models import eventsourced as es
from tck.models.journal import Journal, Recovery
from tck.proxy import checks
from tck.proxy.entity_faults import EntityFaults
from tck.proxy.entity_machine import ENTITIES, VIA
from tck.proxy.harness import Harness
from tck.wire import eventsourced as wire

NOTHING = Recovery[str](None, ())


class ProxyEventSourcedMachine(EntityFaults):
    PROTOCOL = "eventsourced"
    SERVICE, TWO, CONFIGURED = es.SERVICE, es.TWO, es.CONFIGURED
    HTTP_PATH = "/tck/model/eventsourced/"
    RECOVERY = checks.ES_RECOVERY
    RESTART = checks.ES_RESTART

    def __init__(self, h: Harness) -> None:
        super().__init__(h)
        self.journal: Journal[str] = Journal()

    def predict(self, entity: str, actions: Sequence[Any]) -> es.Outcome:
        return es.process(es.Entity.recover(self.journal[entity].latest_recovery()), actions)

    def commit(self, entity: str, outcome: es.Outcome) -> None:
        self.journal = self.journal.updated(entity, es.journal_outcome(self.journal[entity], outcome))

    def expected_start(self, service: str, entity: str) -> list[Message]:
        recovery = self.journal[entity].latest_recovery() if service == self.SERVICE else NOTHING
        return list(wire.init_messages(service, entity, recovery))

    def request(self, entity: str, actions: Sequence[Any]) -> Message:
        return wire.request(entity, actions)

    def response(self, message: str) -> Message:
        return model_pb2.Response(message=message)

    @rule(raw=ENTITIES, actions=strategies.es_actions, via=VIA)
    def command(self, raw: str, actions: list[es.Action], via: str) -> None:
        self.process(raw, actions, via)

    @rule(raw=ENTITIES, emits=strategies.es_emits)
    def emit(self, raw: str, emits: list[es.Action]) -> None:
        """Many events in one command: snapshots come due (every fifth event)."""
        self.process(raw, emits, "grpc")

    @rule(raw=ENTITIES, emits=strategies.es_emits, message=strategies.texts, restart=st.booleans(), via=VIA)
    def fail_after_emitting(self, raw: str, emits: list[es.Action], message: str, restart: bool, via: str) -> None:
        """A failure after events: none is persisted; with ``restart`` the TCK makes the reply ask for a restart."""
        self.process(raw, [*emits, es.Fail(message)], via, restart)
