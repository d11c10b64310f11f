"""One CRDT entity in this proxy: its replica, its stream to the user function, its queue of commands.

Everything here runs on the event loop without awaiting in the middle of a
change: clients submit commands, the stream's reader delivers messages, the
writer reports stored states and the replication reports remote changes, each
as a plain method call. Commands go out as soon as the stream is open, several
at a time (CMD-011), except while a remote change waits for its turn
(CRDT-007). A *turn* is a moment with nothing outstanding: the proxy then
sends the one delta that brings the user function's known value up to the
replica (CRDT-006), or a delete (CRDT-039), or restarts the stream when no
delta can (CRDT-065). After its idle timeout, with no streamed call open and
every change stored, the stream is half-closed (passivation); once nothing is
left the instance leaves its engine, and the state lives on in the store.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

from cloudstate import crdt_pb2

from cloudstate_proxy.crdt import REINITIALISE, Replicated, Tombstone, delta_since, merge, value_of
from cloudstate_proxy.engines.crdt_calls import Pending, StreamedCall
from cloudstate_proxy.engines.crdt_lifecycle import CrdtLifecycle
from cloudstate_proxy.engines.crdt_stream import CrdtStream, Sent
from cloudstate_proxy.engines.crdt_writes import CrdtWriter
from cloudstate_proxy.engines.instance import CLOSE_GRACE
from cloudstate_proxy.errors import ProxyError, UserFunctionUnavailable
from cloudstate_proxy.stores.base import StoredCrdt

if TYPE_CHECKING:
    from cloudstate_proxy.engines.crdt import CrdtEngine

log = logging.getLogger(__name__)


class CrdtInstance(CrdtLifecycle):
    def __init__(self, engine: CrdtEngine, entity_id: str) -> None:
        self.engine, self.entity_id = engine, entity_id
        self.service, self.runtime, self.replication = engine.service, engine.runtime, engine.replication
        self.label = f"CRDT entity {self.service.name} (entity id {entity_id!r})"
        self.state: Replicated | None = None
        self.stream: CrdtStream | None = None
        self.queue: collections.deque[Pending] = collections.deque()
        self.held = False  # a remote change waits for a turn: send no new command (CRDT-007)
        self.quiet = asyncio.Event()
        self._opening: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._reopen = False
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle = self.service.passivation_timeout or self.runtime.settings.idle_timeout(self.service.entity_type)
        key = (self.service.persistence_id, entity_id)
        self.writer = CrdtWriter(self.runtime, self.replication, self.label, key, lambda: self.state, self._stored)

    # Commands ---------------------------------------------------------------------------------------------

    def submit(self, pending: Pending) -> None:
        if isinstance(self.state, Tombstone):
            pending.fail(self._gone())  # CRDT-036
            return
        self.queue.append(pending)
        self._pump()

    def client_cancelled(self, call: StreamedCall) -> None:
        """The client of a streamed command went away."""
        call.end()
        stream, command_id = self.stream, call.command_id
        if stream is not None and stream.calls.get(command_id) is call:
            del stream.calls[command_id]
            self._cancel(stream, command_id, call.method)
        elif stream is not None and command_id in stream.outstanding:
            call.cancel_requested = True  # cancelled when the user function opens the call
        self._check_idle()

    def _pump(self) -> None:
        """Send what the queue holds if the stream allows; open a stream when there is none."""
        if self._opening is not None or self._closing is not None:
            return
        stream = self.stream
        if stream is None and (self.queue or self._reopen):
            self._reopen = False
            self._opening = asyncio.get_running_loop().create_task(self._open(), name=f"opening {self.label}")
        elif stream is not None and not stream.closing and not self.held:
            while self.queue:
                self._send(stream, self.queue.popleft())
        self._check_idle()

    def _send(self, stream: CrdtStream, pending: Pending) -> None:
        call = pending.call
        if call is not None and call.ended:
            return  # its client left before it was sent
        command_id, stream.next_id = stream.next_id, stream.next_id + 1
        command = pending.invocation.command(self.entity_id, command_id, streamed=call is not None)
        timeout = self.runtime.settings.relay_timeout
        timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, stream, command_id)
        stream.outstanding[command_id] = Sent(pending, timer)
        if call is not None:
            call.command_id = command_id
        stream.send(crdt_pb2.CrdtStreamIn(command=command))

    def _fail_queue(self, error: ProxyError) -> None:
        while self.queue:
            self.queue.popleft().fail(error)

    # The replica ------------------------------------------------------------------------------------------

    def _merge(self, other: Replicated) -> bool:
        """Merge another copy of the state into the replica; True when that changed it."""
        before = self.state
        after = other if before is None else merge(before, other)
        if after == before:
            return False
        kinds = (before.KIND, other.KIND) if before is not None else ()
        if kinds and kinds[0] != kinds[1] and Tombstone.KIND not in kinds:  # CRDT-067 decided; CRDT-068: tell
            self.runtime.reporter.report(
                f"{self.label} was created concurrently as {kinds[0]} and {kinds[1]}; {after.KIND} is kept",
                warning=True,
            )
        self.state = after
        if isinstance(after, Tombstone):
            self._fail_queue(self._gone())
        return True

    def _stored(self, stored: StoredCrdt) -> None:
        if self._merge(stored.state):
            self._changed()
        self._check_idle()

    async def refresh(self) -> int | None:
        """Merge the stored state (another replica changed it); the version merged."""
        stored = await self.runtime.store.crdts.load(self.service.persistence_id, self.entity_id)
        if stored is None:
            return None
        if self._merge(stored.state):
            self._changed()
        return stored.version

    def membership_changed(self) -> None:
        """Other replicas came up or went down: a Vote's tally changes (CRDT-VOTE-008)."""
        self._changed()

    def _changed(self) -> None:
        """The replica's value may differ from the known value: bring the user function up to date at its turn."""
        if self.stream is not None and self.stream.busy:
            self.held = True
        else:
            self._turn()

    def _turn(self) -> None:
        stream = self.stream
        if stream is None or stream.closing or stream.busy:
            return
        state = self.state
        if isinstance(state, Tombstone):
            if not stream.deleted_here:
                stream.send(crdt_pb2.CrdtStreamIn(delete=crdt_pb2.CrdtDelete()))  # CRDT-039
            self._drop(stream, None, self._gone(), CLOSE_GRACE)  # CRDT-038, CRDT-040
            return
        live = self.replication.live()
        change = delta_since(stream.known, state, self.replication.replica, live)
        if change is REINITIALISE:  # CRDT-065, CRDT-066
            log.warning(
                "the user function's value cannot be updated by a delta; restarting", extra={"entity": self.label}
            )
            restarted = UserFunctionUnavailable(f"{self.label}: the entity stream was re-initialised")
            self._drop(stream, None, restarted, CLOSE_GRACE, reopen=True)
            return
        if change is not None:
            stream.send(crdt_pb2.CrdtStreamIn(delta=change))
            stream.known = value_of(state, self.replication.replica, live) if state is not None else None
        self.held = False
        self._pump()
