"""Life-cycle rules of the proxy CRDT machine: passivation, deletion, restarting the proxy.

``CrdtConfigured`` entities have a 100 ms idle timeout (TCKM-012): the proxy
must half-close their streams after it (PASS-003, PASS-012), not before
(PASS-007) and, as recommended, within a second (PASS-008); the next call
opens a new stream. A delete ends the entity for good (spec 12, Deletion). A
restarted proxy must start each entity's next stream from the state it
persisted (CRDT-074); its open calls are cancelled first, and a Vote may lose
the restarted proxy's vote when it comes back as a new replica (the machine
accepts either, from the first init it sees).
"""

from __future__ import annotations

import grpc
from cloudstate.tck.model import crdt_pb2 as model_pb2

from tck.models import crdt as model
from tck.models.crdt_values import Vote
from tck.proxy import checks, lifecycle
from tck.proxy.calls import command_of
from tck.proxy.crdt_state import MAIN
from tck.proxy.crdt_streams import CrdtStreams
from tck.proxy.harness import answered

# The idle timeout of CrdtConfigured (TCKM-012), less the resolution of the proxy's timer.


class CrdtLifecycle(CrdtStreams):
    def passivate(self, raw: str) -> None:
        """Call ``CrdtConfigured`` and wait for its stream to be half-closed; the next call reactivates it."""
        entity = f"{self.prefix}{raw}"
        mark = self.h.icp.mark()
        answer = self.clients[MAIN].unary(model.CONFIGURED, "Call", model_pb2.Request(id=entity))
        self.h.note(f"client -> proxy: {model.CONFIGURED}/Call {entity!r}; {answered(answer)}")
        self.rec.expect(
            checks.REACTIVATION, (grpc.StatusCode.OK, [model_pb2.Response()]), (answer.code, list(answer.messages))
        )
        records = [r for r in self.h.icp.records(mark) if r.kind == "in" and command_of(r.message) is not None]
        ours = [r for r in records if self.h.icp.stream(r.stream).key == (model.CONFIGURED, entity)]
        self.rec.expect(checks.REACTIVATION, 1, len(ours), f"commands on {model.CONFIGURED} streams for {entity!r}")
        stream = self.h.icp.stream(ours[0].stream)
        command = command_of(ours[0].message)
        self.rec.expect(checks.REACTIVATION, 1, command.id if command else None, "the command id on a new stream")
        self.check_fresh(stream.id)
        reply = self.h.icp.wait(lambda: self.reply_record(stream.id, command), self.h.bounds.wait)
        lifecycle.check_passivated(self.h, stream.id, reply)
        self.end_step(mark)

    def delete(self, proxy: str, raw: str, updates: list[model_pb2.Update], via: str) -> None:
        """Updates, then a delete: the reply comes, the stream ends, and the entity never comes back."""
        actions = [
            *(model_pb2.RequestAction(update=u) for u in updates),
            model_pb2.RequestAction(delete=model_pb2.Delete()),
        ]
        self.process(proxy, raw, actions, via)

    def restart_proxy(self) -> None:
        """The proxy process goes down and up: what it acknowledged must still be in its store (CRDT-074)."""
        self.end_calls()
        self.wire.stopping = True
        try:
            lifecycle.restart_proxy(self.h)
            self.clients[MAIN].reconnect()
        finally:
            self.wire.check_new()
            self.wire.stopping = False
        for key in [k for k in self.live if k[0] == MAIN]:
            del self.live[key]
        self.unsure |= {e for e, held in self.held.items() if isinstance(held.value, Vote)}
        self.restarted |= set(self.held)
