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

import grpc
from hypothesis.stateful import precondition, rule

from tck.proxy import checks, lifecycle
from tck.proxy.calls import command_of
from tck.proxy.entity_machine import ENTITIES, EntityMachine
from tck.proxy.harness import answered
from tck.proxy.records import Record, StreamInfo

# Each passivation waits for the idle timeout: a few per program show it; more only make programs slow.
PASSIVATIONS = 2
# The idle timeout of the *Configured services (TCKM-007, TCKM-010), less the resolution of the proxy's timer.
IDLE = 0.1
EARLY = 0.005


class EntityFaults(EntityMachine):
    @rule(raw=ENTITIES)
    def crash_stream(self, raw: str) -> None:
        """The entity's stream ends without the proxy asking (a crash); the next command must start afresh."""
        entity = self.prefix + raw
        stream = self.live.pop(entity, None)
        if stream is not None and self.h.icp.crash(stream):
            self.crashed[entity] = stream
            self.h.note(f"TCK: crashed stream #{stream} of {entity!r}")

    @precondition(lambda self: self.h.ctx.user_function_process is not None and self.h.restarts_left > 0)
    @rule()
    def user_function_restarts(self) -> None:
        """Every stream breaks; each entity must come back from the store on its next command."""
        if self.h.take_restart():
            lifecycle.restart_user_function(self.h)
            self.forget_streams()

    @precondition(lambda self: self.h.ctx.proxy_process is not None and self.h.restarts_left > 0)
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
        self._passivated(ours[0], reply)
        self._end_step(mark)

    def _passivated(self, stream: StreamInfo, reply: Record | None) -> None:
        closed = self.h.icp.wait_half_closed(stream.id, self.h.bounds.passivation)
        if closed is None or closed.half_closed is None:
            how = "still open" if closed is None else f"ended by {closed.end_kind}"
            self.rec.fail(
                checks.PASSIVATION, f"stream #{stream.id} {how} {self.h.bounds.passivation} s after its reply"
            )
        half_close = next(r for r in self.h.icp.messages(stream.id) if r.kind == "half-close")
        idle = half_close.at - (reply.at if reply is not None else 0.0)
        self.rec.ok(checks.PASSIVATION)
        self.rec.require(checks.PASSIVATION_NOT_EARLY, idle >= IDLE - EARLY, f"passivated {idle:.3f} s after the reply")
        self.rec.require(checks.PASSIVATION_PROMPT, idle <= IDLE + self.h.bounds.prompt, f"after {idle:.3f} s")
