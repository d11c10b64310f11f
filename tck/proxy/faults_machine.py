"""The machine of ``proxy/faults``: value-entity commands, some of whose replies the TCK forges, and reads.

Where the deterministic scenarios look at one forged reply each, the machine
mixes them with good commands and reads over a few entities, so that a proxy
which lets a violation leak into the store (or loses a good write next to
one) shows it in what later commands read back. It keeps the value each
entity should have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tck.checks import Check
from tck.models import valueentity as ve
from tck.proxy import faults_checks as fc
from tck.proxy.faults_forge import VE, Faults, replies
from tck.proxy.faults_replies import forge_other_type, forge_payload_unset
from tck.proxy.faults_violations import (
    forge_no_client_action,
    forge_unknown_id,
    forge_unset,
    forge_update_without_value,
)
from tck.proxy.harness import Harness

ENTITIES = st.sampled_from("abc")
VALUES = st.text("xyz", min_size=1, max_size=3)
#: Each forgery: its check, the forged message, and what the client gets: None for INTERNAL (nothing stored), or
#: a function of the value written to the response it gets (the write stands).
FORGERIES: dict[str, tuple[Check, Callable[[Any], Message], Callable[[str], str] | None]] = {
    "unknown_command_id": (fc.UNKNOWN_ID, forge_unknown_id, None),
    "unset_message": (fc.UNSET, forge_unset, None),
    "update_without_value": (fc.UPDATE_NO_VALUE, forge_update_without_value, None),
    "no_client_action": (fc.NO_CLIENT_ACTION, forge_no_client_action, None),
    "payload_unset": (fc.PAYLOAD_UNSET, forge_payload_unset, lambda value: ""),
    "payload_type_differs": (fc.TYPE_DIFFERS_DELIVERED, forge_other_type, lambda value: value),
}


class ProxyFaultMachine(RuleBasedStateMachine):
    def __init__(self, h: Harness) -> None:
        super().__init__()
        self.h = h
        self.f = Faults(h)
        self.stored: dict[str, str] = {}

    def _entity(self, raw: str) -> str:
        return self.f.entity(raw)

    @rule(raw=ENTITIES, value=VALUES)
    def write(self, raw: str, value: str) -> None:
        mark = self.h.icp.mark()
        answer = self.f.process(VE, self._entity(raw), [ve.Update(value)])
        self.h.noted(mark)
        self.h.rec.require(fc.VIOLATION_ISOLATED, self.f.replied(answer, VE, value), answer.describe())
        self.stored[raw] = value

    @rule(raw=ENTITIES, value=VALUES, fault=st.sampled_from(sorted(FORGERIES)))
    def forged_write(self, raw: str, value: str, fault: str) -> None:
        check, forge, answer_of = FORGERIES[fault]
        mark = self.h.icp.mark()
        self.h.note(f"TCK: the reply to the next command of {raw!r} will be forged: {fault}")
        rewrite = self.h.icp.rewrite(replies(VE.service, self._entity(raw)), forge)
        try:
            answer = self.f.process(VE, self._entity(raw), [ve.Update(value)])
        finally:
            self.h.icp.unrewrite(rewrite)
            self.h.noted(mark)
        if answer_of is None:
            self.h.rec.expect(check, grpc.StatusCode.INTERNAL, answer.code, answer.describe())
        else:
            self.h.rec.require(check, self.f.replied(answer, VE, answer_of(value)), answer.describe())
            self.stored[raw] = value

    @rule(raw=ENTITIES)
    def read(self, raw: str) -> None:
        mark = self.h.icp.mark()
        answer = self.f.process(VE, self._entity(raw), [])
        self.h.noted(mark)
        expected = self.stored.get(raw, "")
        self.h.rec.require(fc.VIOLATION_NOTHING_KEPT, self.f.replied(answer, VE, expected), f"{raw!r}: {expected!r}")
