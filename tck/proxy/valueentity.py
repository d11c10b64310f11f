"""Proxy conformance for value entities: the TCK is the client of ValueEntityTckModel behind the proxy.

The machine keeps the value the proxy should have stored for each entity
(``tck.models.valueentity``): every new stream the proxy opens must carry it in
its init (or no value after a delete), whatever ended the previous stream.
See :mod:`tck.proxy.entity_machine` for what each command step checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudstate.tck.model import valueentity_pb2 as model_pb2
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.stateful import rule

from tck import strategies
from tck.models import valueentity as ve
from tck.proxy import checks
from tck.proxy.entity_faults import EntityFaults
from tck.proxy.entity_machine import ENTITIES, VIA
from tck.proxy.harness import Harness
from tck.wire import valueentity as wire


class ProxyValueEntityMachine(EntityFaults):
    PROTOCOL = "valueentity"
    SERVICE, TWO, CONFIGURED = ve.SERVICE, ve.TWO, ve.CONFIGURED
    HTTP_PATH = "/tck/model/entity/"
    RECOVERY = checks.VE_RECOVERY
    RESTART = checks.VE_RESTART

    def __init__(self, h: Harness) -> None:
        super().__init__(h)
        self.store: dict[str, str] = {}

    def predict(self, entity: str, actions: Sequence[Any]) -> ve.Outcome:
        return ve.process(self.store.get(entity), actions)

    def commit(self, entity: str, outcome: ve.Outcome) -> None:
        if outcome.stored is None:
            self.store.pop(entity, None)
        else:
            self.store[entity] = outcome.stored

    def expected_start(self, service: str, entity: str) -> list[Message]:
        stored = self.store.get(entity) if service == self.SERVICE else None
        return [wire.init_message(service, entity, stored)]

    def request(self, entity: str, actions: Sequence[Any]) -> Message:
        return wire.request(entity, actions)

    def response(self, message: str) -> Message:
        return model_pb2.Response(message=message)

    @rule(raw=ENTITIES, actions=strategies.ve_actions, via=VIA)
    def command(self, raw: str, actions: list[ve.Action], via: str) -> None:
        self.process(raw, actions, via)

    @rule(raw=ENTITIES, changes=strategies.ve_changes)
    def change(self, raw: str, changes: list[ve.Action]) -> None:
        """Updates and deletes only, so that stored values come and go often."""
        self.process(raw, changes, "grpc")

    @rule(raw=ENTITIES, changes=strategies.ve_changes, message=strategies.texts, restart=st.booleans(), via=VIA)
    def fail_after_changing(self, raw: str, changes: list[ve.Action], message: str, restart: bool, via: str) -> None:
        """A failure after updates or deletes: nothing is written; with ``restart`` the reply asks for a restart."""
        self.process(raw, [*changes, ve.Fail(message)], via, restart)
