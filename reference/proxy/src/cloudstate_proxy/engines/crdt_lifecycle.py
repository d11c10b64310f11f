"""The life cycle of a CRDT instance's stream: activation, crashes, violations, timeouts, passivation, shutdown.

Activation merges the stored state into the replica first (CRDT-015) and
starts the stream with the whole value as a delta (CRDT-013, CRDT-014). A
crash fails everything that waits on the entity (FAIL-019); a protocol
violation or a relay timeout fails only what was sent, and queued commands go
to a new stream (FAIL-035, FAIL-028); either way the streamed calls end with
INTERNAL (CRDT-081). A cancellation left unanswered for the relay timeout is
handled like an unanswered command: the specification sets no limit, but it
would otherwise hold remote changes back for ever. An instance is *quiet* when nothing is queued,
outstanding, open or unstored; a quiet stream is passivated after the idle
timeout, which remote changes do not restart (PASS-009, PASS-010).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import TYPE_CHECKING

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt import Replicated, Tombstone, initial_delta, value_of
from cloudstate_proxy.engines.crdt_calls import Pending
from cloudstate_proxy.engines.crdt_replies import CrdtReplies
from cloudstate_proxy.engines.crdt_stream import CrdtStream
from cloudstate_proxy.engines.instance import CLOSE_GRACE
from cloudstate_proxy.engines.session import store_error
from cloudstate_proxy.errors import EntityFailure, ProtocolViolation, ProxyError, RelayTimeout, UserFunctionUnavailable

if TYPE_CHECKING:
    from cloudstate_proxy.engines.crdt import CrdtEngine

log = logging.getLogger(__name__)


class CrdtLifecycle(CrdtReplies):
    engine: CrdtEngine
    queue: collections.deque[Pending]
    held: bool
    quiet: asyncio.Event
    _opening: asyncio.Task[None] | None
    _closing: asyncio.Task[None] | None
    _reopen: bool
    _idle_timer: asyncio.TimerHandle | None
    _idle: float

    def _pump(self) -> None: ...
    def _merge(self, other: Replicated) -> bool:
        raise NotImplementedError

    async def _open(self) -> None:
        try:
            stored = await self.runtime.store.crdts.load(self.service.persistence_id, self.entity_id)
        except Exception as error:
            self._opening = None
            failed = error if isinstance(error, ProxyError) else store_error(error, f"{self.label}: loading failed")
            self._fail_queue(failed)
            self._check_idle()
            return
        self._opening = None
        if stored is not None:
            self._merge(stored.state)
        if isinstance(self.state, Tombstone):
            self._fail_queue(self._gone())
            self._check_idle()
            return
        stream = CrdtStream(self.runtime, self.label, self._receive, self._broken)
        init = crdt_pb2.CrdtInit(service_name=self.service.name, entity_id=self.entity_id)
        if self.state is not None:
            stream.known = value_of(self.state, self.replication.replica, self.replication.live())
            init.delta.CopyFrom(initial_delta(stream.known))
        stream.send(crdt_pb2.CrdtStreamIn(init=init))
        self.stream, self.held = stream, False
        self.runtime.metrics.activations.labels(self.service.name).inc()
        self.runtime.metrics.active_entities.labels(self.service.name).inc()
        self._pump()

    def _drop(
        self, stream: CrdtStream, outstanding: ProxyError | None, calls: ProxyError, grace: float, reopen: bool = False
    ) -> None:
        """Stop using ``stream``: fail what waits on it, then half-close it (or cancel it when ``grace`` is 0)."""
        if self.stream is stream:
            self.stream = None
            self.runtime.metrics.active_entities.labels(self.service.name).dec()
        stream.closing = True
        for sent in stream.outstanding.values():
            sent.timer.cancel()
            if outstanding is not None:
                sent.pending.fail(outstanding)
        for call in stream.calls.values():
            call.end(calls)
        stream.outstanding.clear()
        stream.calls.clear()
        for _, timer in stream.cancelling.values():
            timer.cancel()
        stream.cancelling.clear()
        self._reopen = self._reopen or reopen
        if grace <= 0:
            stream.abort()
            self._pump()
        else:
            self._closing = asyncio.get_running_loop().create_task(self._close(stream, grace))
            self._check_idle()

    async def _close(self, stream: CrdtStream, grace: float) -> None:
        try:
            await stream.close(grace)
        finally:
            self._closing = None
            self._pump()  # commands that came meanwhile go to a new stream (PASS-015)

    def _broken(self, stream: CrdtStream, error: ProxyError) -> None:
        if stream is self.stream:
            self._crashed(stream, error)

    def _crashed(self, stream: CrdtStream, error: ProxyError) -> None:
        log.warning("entity failed", extra={"entity": self.label, "error": error.message})
        self.runtime.metrics.entity_failures.labels(self.service.name, "crash").inc()
        self._fail_queue(error)
        calls = error if isinstance(error, EntityFailure) else EntityFailure(error.message)
        self._drop(stream, error, calls, 0)

    def _violation(self, stream: CrdtStream, violation: ProtocolViolation) -> None:
        self.runtime.reporter.report(f"protocol violation by {self.label}: {violation}")
        self.runtime.metrics.entity_failures.labels(self.service.name, "protocol violation").inc()
        failure = EntityFailure(f"{self.label}: protocol violation: {violation}")
        self._drop(stream, failure, failure, 0)

    def _timed_out(self, stream: CrdtStream, command_id: int, cancellation: bool = False) -> None:
        """No reply to a command (or response to a cancellation) within the relay timeout: restart (FAIL-028)."""
        sent = stream.outstanding.pop(command_id, None)
        waiting = cancellation and command_id in stream.cancelling
        if stream is not self.stream or (sent is None and not waiting):
            return
        timeout = self.runtime.settings.relay_timeout
        if sent is not None:
            late = RelayTimeout(f"{self.label} did not reply to command {command_id} within {timeout:g} s")
            sent.pending.fail(late)
        else:  # a user function that never answers a cancellation would keep remote changes out for ever
            log.warning("no answer to a stream cancellation", extra={"entity": self.label, "command_id": command_id})
        self.runtime.metrics.entity_failures.labels(self.service.name, "timeout").inc()
        failure = EntityFailure(f"{self.label}: the entity stream was restarted after command {command_id} timed out")
        self._drop(stream, failure, failure, 0)

    def _is_quiet(self) -> bool:
        stream = self.stream
        busy = stream is not None and (stream.busy or bool(stream.calls))
        return not (self.queue or self._opening or self._closing or busy or self.writer.dirty)

    def _check_idle(self) -> None:
        """Start the idle timer when the instance becomes quiet (and not before); leave when nothing is left."""
        quiet = self._is_quiet()
        if quiet:
            self.quiet.set()
        else:
            self.quiet.clear()
        if not quiet or self.stream is None:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        elif self._idle_timer is None:
            self._idle_timer = asyncio.get_running_loop().call_later(self._idle, self._passivate)
        if quiet and self.stream is None:
            self.engine.forget(self)

    def _passivate(self) -> None:
        self._idle_timer = None
        stream = self.stream
        if stream is not None and self._is_quiet():
            self.runtime.metrics.passivations.labels(self.service.name).inc()
            log.debug("passivating entity", extra={"entity": self.label})
            self._drop(stream, None, UserFunctionUnavailable(f"{self.label} was passivated"), CLOSE_GRACE)

    async def shutdown(self, grace: float) -> None:
        """End streamed calls, let outstanding work finish (up to ``grace``), then close the stream."""
        stopping = UserFunctionUnavailable("the proxy is shutting down")
        if self.stream is not None:
            for call in self.stream.calls.values():
                call.end(stopping)
            self.stream.calls.clear()
        self._check_idle()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.quiet.wait(), grace)
        self._fail_queue(stopping)
        if self.stream is not None:
            self._drop(self.stream, stopping, stopping, grace)
        closing = self._closing
        if closing is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(closing), grace)
        if self.writer.dirty:
            log.error("CRDT changes not stored at shutdown", extra={"entity": self.label})
        self.writer.stop(stopping)
