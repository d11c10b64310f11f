"""Replica rules: a second proxy on the same store (``RunContext.replica``), behind the same interceptor.

An update made through the replica must reach the first proxy's open stream
for the entity as ``CrdtDelta`` messages (not a new init) that bring its user
function to the merged value, within the TCK's bounded wait (CRDT-075,
CRDT-006); the open calls hear of it. A ``MAJORITY`` or ``ALL`` write through
the first proxy must be held by the replica when its reply is released
(CRDT-028): a read through the replica right after sees it. Votes count both
proxies (CRDT-VOTE-007). Without a replica none of these rules runs, and their
requirements stay untested.
"""

from __future__ import annotations

import time
from typing import Any

from cloudstate import crdt_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2

from tck.models import crdt as model
from tck.models.crdt_messages import state as render
from tck.proxy import crdt_checks as cc
from tck.proxy.crdt_lifecycle import CrdtLifecycle
from tck.proxy.crdt_outcome import Step
from tck.proxy.crdt_state import MAIN, REPLICA, Held, view
from tck.proxy.harness import Harness


class CrdtReplicas(CrdtLifecycle):
    def through_replica(self, raw: str, updates: list[model_pb2.Update]) -> None:
        entity = self.begin(MAIN, raw, model.PROCESS, "grpc").entity
        self.step -= 1  # only named
        self.converge(REPLICA, entity)
        main = self.live.get((MAIN, entity))
        before = self.uf_entity(MAIN, entity)
        mark = self.h.icp.mark()
        self.process(REPLICA, raw, [model_pb2.RequestAction(update=u) for u in updates])
        held = self.held.get(entity, Held())
        if main is None or held.deleted:
            return
        started = time.monotonic()
        arrived = self.converge(MAIN, entity, cc.REMOTE_DELTA)
        self.rec.require(cc.PROMPT, arrived - started <= 5.0, f"merged after {arrived - started:.1f} s")
        sent = [r.message for r in self.h.icp.messages(main) if r.seq >= mark and r.kind == "in"]
        kinds = [m.WhichOneof("message") for m in sent if m is not None]
        self.rec.expect(cc.REMOTE_DELTA, [], [k for k in kinds if k != "delta"], f"stream #{main} after the change")
        changed = view(held, MAIN, self.up) != before.value
        self.rec.require(cc.REMOTE_DELTA, not changed or "delta" in kinds, f"no delta on stream #{main}")
        messages: list[Any] = []
        for message in sent:
            answer = model.receive_delta(before, message.delta)  # type: ignore[union-attr]
            before, messages = answer.entity, [*messages, *answer.out]
        label = f"step {self.step}: the change reaches {MAIN}'s calls"
        step = Step(MAIN, entity, model.PROCESS, "grpc", "", label)
        self.relay(step, [o.streamed_message for o in messages if o.HasField("streamed_message")], mark)
        self.end_step(mark)

    def converge(self, proxy: str, entity: str, check: Any = cc.CONVERGED) -> float:
        """Wait until the user function behind ``proxy`` holds the entity's value (when it has a stream open)."""
        stream = self.live.get((proxy, entity))
        if stream is None:
            return time.monotonic()
        expected = view(self.held.get(entity, Held()), proxy, self.up)
        shown = render(expected) if expected is not None else None

        def known() -> bool | None:
            value = self.wire.stream(stream).known
            return True if (render(value) if value is not None else None) == shown else None

        done = self.h.icp.wait(known, self.h.bounds.wait)
        got = self.wire.stream(stream).known
        self.rec.expect(check, shown, render(got) if got is not None else None, f"{proxy}'s stream #{stream}")
        assert done
        return time.monotonic()

    def consistent_write(self, raw: str, update: model_pb2.Update, level: Any) -> None:
        """A MAJORITY or ALL write through the proxy: the replica holds it once the client has the reply."""
        copy = model_pb2.Update()
        copy.CopyFrom(update)
        copy.write_consistency = level
        self.process(MAIN, raw, [model_pb2.RequestAction(update=copy)])
        self.process(REPLICA, raw, [], known=cc.CONSISTENCY)


def await_replicas(h: Harness, clients: dict[str, Any], probe: str) -> None:
    """Wait until both proxies count each other (a vote through each, read back through each, CRDT-VOTE-007)."""
    vote = model_pb2.RequestAction(update=model_pb2.Update(vote=model_pb2.VoteUpdate(self_vote=True)))
    for client in clients.values():
        client.unary(model.SERVICE, model.PROCESS, model_pb2.Request(id=probe, actions=[vote]))
    deadline, tallies = time.monotonic() + max(15.0, h.bounds.wait), [0, 0]
    while time.monotonic() < deadline:
        tallies = []
        for client in clients.values():
            answer = client.unary(model.SERVICE, model.PROCESS, model_pb2.Request(id=probe))
            tallies.append(answer.message.state.vote.total_voters if answer.message is not None else 0)
        if tallies == [2, 2]:
            return
        time.sleep(0.2)
    # Both serve and share a store, yet a Vote does not count both: the replicas' membership is broken.
    h.rec.fail(cc.VOTES, f"a Vote through the proxy and its replica counts {tallies} voters, not [2, 2]")


__all__ = ["CrdtReplicas", "await_replicas", "crdt_pb2"]
