"""The lifecycle rules of the entity machines: crashed streams, process restarts, passivation.

Each ends an entity's stream in a different way; the command step of
:class:`~tck.proxy.entity_machine.EntityMachine` then checks that the next
command starts a new stream from the store. Passivation is watched directly
on the ``*Configured`` service, whose entities the user function declares with
a 100 ms idle timeout: the proxy must half-close their streams (PASS-003,
PASS-012), not before the timeout (PASS-007) and, as recommended, within a
second after it (PASS-008).
"""

from __future__ import annotations

import time

import grpc
from hypothesis.stateful import precondition, rule

from tck.proxy import checks, lifecycle
from tck.proxy.calls import command_of
from tck.proxy.entity_machine import ENTITIES, EntityMachine
from tck.proxy.harness import answered

# Each passivation waits for the idle timeout: a few per program show it; more only make programs slow.
PASSIVATIONS = 2


class EntityFaults(EntityMachine):
    @rule(raw=ENTITIES)
    def crash_stream(self, raw: str) -> None:
        """The entity's stream ends without the proxy asking (a crash); the next command must start afresh."""
        entity = self.prefix + raw
        stream = self.live.pop(entity, None)
        if stream is not None and self.h.icp.crash(stream):
            self.crashed[entity] = stream
            self.h.note(f"TCK: crashed stream #{stream} of {entity!r}")
            time.sleep(self.h.bounds.probe)  # for the proxy to take in the status it was sent

    # Not on the restart budget: it is shared by every example, and a precondition that changes between a run and
    # its replay makes Hypothesis give up (FlakyStrategyDefinition); a rule without budget does nothing instead.
    @precondition(lambda self: self.h.ctx.user_function_process is not None)
    @rule()
    def user_function_restarts(self) -> None:
        """Every stream breaks; each entity must come back from the store on its next command."""
        if self.h.take_restart():
            lifecycle.restart_user_function(self.h)
            self.forget_streams()

    @precondition(lambda self: self.h.ctx.proxy_process is not None)
    @rule()
    def proxy_restarts(self) -> None:
        """The proxy process goes down and up: what it acknowledged must still be in its store."""
        if self.h.take_restart():
            lifecycle.restart_proxy(self.h)
            self.forget_streams()

    def forget_streams(self) -> None:
        """Every stream ended (a process restarted): each entity's next command must open a new one."""
        for entity, stream in list(self.live.items()):
            self.crashed[entity] = stream
        self.live.clear()

    @precondition(lambda self: self.passivations < PASSIVATIONS)
    @rule(raw=ENTITIES)
    def passivate_configured(self, raw: str) -> None:
        """Call the ``*Configured`` service (100 ms passivation) and wait for its stream to be half-closed."""
        self.passivations += 1
        entity = f"{self.prefix}{raw}"
        mark = self.h.icp.mark()
        answer = self.h.client.unary(self.CONFIGURED, "Call", self.request(entity, ()))
        self.h.note(f"client -> proxy: {self.CONFIGURED}/Call {entity!r}; {answered(answer)}")
        self.rec.expect(
            checks.REACTIVATION, (grpc.StatusCode.OK, [self.response("")]), (answer.code, list(answer.messages))
        )
        records = [r for r in self.h.icp.records(mark) if r.kind == "in" and command_of(r.message) is not None]
        streams = [self.h.icp.stream(r.stream) for r in records]
        ours = [s for s in streams if s.key == (self.CONFIGURED, entity)]
        self.rec.expect(checks.REACTIVATION, 1, len(ours), f"commands on {self.CONFIGURED} streams for {entity!r}")
        self._check_start(self.CONFIGURED, entity, ours[0], checks.REACTIVATION)
        reply = self._reply(ours[0].id, command_of(records[streams.index(ours[0])].message))
        lifecycle.check_passivated(self.h, ours[0].id, reply)
        self._end_step(mark)
