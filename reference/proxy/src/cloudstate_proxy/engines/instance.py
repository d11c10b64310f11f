"""One active entity instance: its command queue, its stream, its life cycle.

A single worker task per instance takes commands from the queue one at a
time (at most one outstanding, spec ES-026/VE-017), opens the stream on
demand (init, replay), numbers commands from 1 per stream, waits for the
reply, lets the session persist what it asks for and hands the outcome to
the waiting caller, which runs side effects and forwards on its own; so the
worker is free for the next command at once (ES-029). After the idle
timeout it half-closes the stream (passivation); once it has neither a
stream nor queued commands it removes itself from its engine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from cloudstate_proxy.engines.base import Invocation, Outcome
from cloudstate_proxy.engines.session import EntitySession, store_error
from cloudstate_proxy.engines.stream import EntityStream
from cloudstate_proxy.errors import (
    ConcurrencyConflict,
    EntityFailure,
    ProtocolViolation,
    ProxyError,
    RelayTimeout,
    StoreUnavailable,
    UserFunctionUnavailable,
)

if TYPE_CHECKING:
    from cloudstate_proxy.engines.entities import EntityEngine

log = logging.getLogger(__name__)

#: How long a stream being closed (passivation, restart) may take to finish before it is cancelled.
CLOSE_GRACE = 10.0


@dataclasses.dataclass(eq=False)
class Pending:
    invocation: Invocation
    future: asyncio.Future[Outcome]


class EntityInstance:
    def __init__(self, engine: EntityEngine, entity_id: str) -> None:
        self.engine = engine
        self.entity_id = entity_id
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue()  # None asks the worker to stop
        self._stream: EntityStream | None = None
        self._next_id = 1
        self._runtime = engine.runtime
        service = engine.service
        self._idle = service.passivation_timeout or self._runtime.settings.idle_timeout(service.entity_type)
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"entity {service.name}/{entity_id}")

    def submit(self, pending: Pending) -> None:
        self._queue.put_nowait(pending)

    def stop(self) -> None:
        """Passivate once the commands queued so far are done."""
        self._queue.put_nowait(None)

    async def _run(self) -> None:
        try:
            while self._stream is not None or not self._queue.empty():
                pending = await self._next()
                if pending is not None and not pending.future.done():
                    await self._process(pending)
        except asyncio.CancelledError:
            self._fail_queued(UserFunctionUnavailable("the proxy is shutting down"))
            await self._close(0)
            raise
        finally:
            self.engine.forget(self)

    async def _next(self) -> Pending | None:
        if self._stream is not None and self._queue.empty():
            try:
                pending = await asyncio.wait_for(self._queue.get(), self._idle)
            except TimeoutError:
                await self._passivate()
                return None
        else:
            pending = await self._queue.get()
        if pending is None and self._queue.empty():
            await self._passivate()
        return pending

    async def _process(self, pending: Pending) -> None:
        if self._stream is not None and self._stream.broken is not None:
            await self._close(0)  # crashed while idle: start afresh
        try:
            stream = self._stream or await self._open()
        except ProxyError as error:
            self._fail(pending, error)
            self._fail_queued(error)
            return
        command_id, self._next_id = self._next_id, self._next_id + 1
        command = pending.invocation.command(self.entity_id, command_id)
        try:
            reply = await stream.request(command, self._runtime.settings.relay_timeout)
            outcome = await stream.session.commit(reply)
        except TimeoutError:
            timeout = self._runtime.settings.relay_timeout
            late = RelayTimeout(f"{stream.label} did not reply to command {command_id} within {timeout:g} s")
            await self._abandon("timeout", pending, late)
        except ProtocolViolation as violation:
            if stream.broken is None:  # found by the session (the stream reports its own)
                self._runtime.reporter.report(f"protocol violation by {stream.label}: {violation}")
            failure = EntityFailure(f"{stream.label}: protocol violation: {violation}")
            await self._abandon("protocol violation", pending, failure)
        except (StoreUnavailable, ConcurrencyConflict) as error:
            await self._abandon("store", pending, store_error(error, f"{stream.label}: persisting failed"))
        except ProxyError as error:  # the entity crashed: everything waiting for it fails too
            await self._abandon("crash", pending, error)
            self._fail_queued(error)
        except Exception as error:  # a store implementation raising something of its own
            await self._abandon("store", pending, store_error(error, f"{stream.label}: persisting failed"))
        else:
            if not pending.future.done():
                pending.future.set_result(outcome)
            if outcome.restart:
                await self._close(CLOSE_GRACE)
                try:
                    await self._open()  # at once, not on the next command (ES-063, VE-046)
                except ProxyError as error:
                    log.warning("reloading entity failed", extra={"entity": stream.label, "error": error.message})

    async def _open(self) -> EntityStream:
        session: EntitySession = self.engine.session_type(self.engine.service, self.entity_id, self._runtime)
        try:
            prelude = await session.prelude()
        except (StoreUnavailable, ConcurrencyConflict) as error:
            raise store_error(error, f"{session.label}: loading failed") from error
        except ProxyError:
            raise
        except Exception as error:  # a store implementation raising something of its own
            raise store_error(error, f"{session.label}: loading failed") from error
        stream = EntityStream(session)
        self._stream, self._next_id = stream, 1
        self._runtime.metrics.activations.labels(self.engine.service.name).inc()
        self._runtime.metrics.active_entities.labels(self.engine.service.name).inc()
        for msg in prelude:
            try:
                await stream.send(msg)
            except (ProxyError, ProtocolViolation):
                break  # the first command finds the stream broken and fails with the reason
        return stream

    async def _close(self, grace: float) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._runtime.metrics.active_entities.labels(self.engine.service.name).dec()
            await stream.close(grace)

    async def _passivate(self) -> None:
        if self._stream is not None:
            self._runtime.metrics.passivations.labels(self.engine.service.name).inc()
            log.debug("passivating entity", extra={"entity": self._stream.label})
            await self._close(CLOSE_GRACE)

    async def _abandon(self, reason: str, pending: Pending, error: ProxyError) -> None:
        """Fail the command and drop the stream; the next command reloads the entity."""
        log.warning(
            "entity command failed", extra={"entity_id": self.entity_id, "reason": reason, "error": error.message}
        )
        self._runtime.metrics.entity_failures.labels(self.engine.service.name, reason).inc()
        self._fail(pending, error)
        await self._close(0)

    def _fail(self, pending: Pending, error: ProxyError) -> None:
        if not pending.future.done():
            pending.future.set_exception(error)

    def _fail_queued(self, error: ProxyError) -> None:
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if pending is not None:
                self._fail(pending, error)
