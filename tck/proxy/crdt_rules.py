"""Rules every CRDT entity stream must follow, checked over the interceptor's records as they come.

:class:`CrdtRules` is fed each record once, in order, and keeps per stream
what the proxy must know too: the commands without reply, the cancellations
without response, the streamed calls open, and the value the user function
holds (the known value, CRDT-004). From those it checks init first and once,
command ids, ``Command.streamed``, taking turns (no delta or delete while an
operation is outstanding), that every delta changes the known value, nothing
after a half-close or a delete, and no passivation while a streamed call is
open. Streams are told apart per proxy by their peer: with a replica, both
proxies open streams for the same entity.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tck.checks import Recorder
from tck.models.crdt_values import Value
from tck.proxy import checks
from tck.proxy import crdt_checks as cc
from tck.proxy.crdt_state import Unappliable, apply
from tck.proxy.interceptor import Interceptor
from tck.proxy.records import Record, StreamInfo

STREAMED_METHOD = "ProcessStreamed"


@dataclasses.dataclass
class CrdtStream:
    inits: int = 0
    last_command: int = 0
    outstanding: set[int] = dataclasses.field(default_factory=set)
    cancelling: set[int] = dataclasses.field(default_factory=set)
    streamed: set[int] = dataclasses.field(default_factory=set)  # commands of the streaming method
    calls: set[int] = dataclasses.field(default_factory=set)  # streamed calls open
    known: Value | None = None
    initial: Value | None = None  # the value the init delta gives
    lost: bool = False  # the known value could not be followed (reported by the checks that need it)
    at_command: dict[int, Value | None] = dataclasses.field(default_factory=dict)
    deltas: int = 0  # deltas the proxy sent
    deleted_here: bool = False  # a reply on this stream carried a delete
    deleted: bool = False  # the proxy sent CrdtDelete
    half_closed: bool = False


class CrdtRules:
    def __init__(self, icp: Interceptor, rec: Recorder) -> None:
        self.icp, self.rec = icp, rec
        self.streams: dict[int, CrdtStream] = {}
        self.stopping = False  # the TCK restarts a proxy: it may end streams with calls open
        self._cursor = self._start = icp.mark()

    def check_new(self) -> None:
        records = self.icp.records(self._cursor)
        if records:
            self._cursor = records[-1].seq + 1
        for record in records:
            info = self.icp.stream(record.stream) if record.stream else None
            # Streams opened before (by an earlier example) are not followed from their start: not judged.
            if info is not None and info.protocol == "crdt" and info.opened >= self._start:
                self._feed(info, record)

    def stream(self, stream: int) -> CrdtStream:
        self.check_new()
        return self.streams.setdefault(stream, CrdtStream())

    def _feed(self, info: StreamInfo, record: Record) -> None:
        state = self.streams.setdefault(info.id, CrdtStream())
        where = f"stream #{info.id} ({info.service}/{info.entity_id!r})"
        message: Any = record.message
        if record.kind == "half-close":
            state.half_closed = True
            open_calls = state.calls and not (state.deleted or state.deleted_here or self.stopping)
            self.rec.require(cc.PASSIVATE_OPEN, not open_calls, f"{where} half-closed with calls {state.calls} open")
        elif record.kind == "in":
            self.rec.require(checks.NOTHING_AFTER_HALF_CLOSE, not state.half_closed, f"{where}: sent after half-close")
            self.rec.require(cc.NOT_DELETED, not state.deleted, f"{where}: sent after CrdtDelete")
            self._in(info, state, message, where)
        elif record.kind == "out":
            self._out(state, message)

    def _in(self, info: StreamInfo, state: CrdtStream, message: Any, where: str) -> None:
        which = message.WhichOneof("message")
        if which == "init" or state.inits == 0:
            state.inits += 1
            wrong = "a second init" if which == "init" else f"the first message is {which}, not init"
            self.rec.require(cc.INIT_ONCE, which == "init" and state.inits == 1, f"{where}: {wrong}")
            self._one_stream(info)
            if message.init.HasField("delta"):
                state.known = state.initial = self._apply(state, None, message.init.delta, False)
            return
        busy = sorted(state.outstanding | state.cancelling)
        if which == "command":
            command = message.command
            self.rec.expect(cc.COMMAND_IDS, state.last_command + 1, command.id, f"{where}: command id")
            self.rec.expect(cc.COMMAND_IDS, info.entity_id, command.entity_id, f"{where}: command entity id")
            streamed = command.name == STREAMED_METHOD
            self.rec.expect(cc.STREAMED_FLAG, streamed, command.streamed, f"{where}: streamed of {command.name}")
            state.last_command = command.id
            state.outstanding.add(command.id)
            state.at_command[command.id] = state.known
            if streamed:
                state.streamed.add(command.id)
        elif which == "delta":
            self.rec.require(cc.TURNS, not busy, f"{where}: a delta while {busy} are outstanding")
            after = self._apply(state, state.known, message.delta, False)
            self.rec.require(cc.NO_IDLE_DELTA, state.lost or after != state.known, f"{where}: a delta changing nothing")
            state.known, state.deltas = after, state.deltas + 1
        elif which == "delete":
            self.rec.require(cc.TURNS, not busy, f"{where}: CrdtDelete while {busy} are outstanding")
            self.rec.require(cc.DELETE_ENDS, not state.deleted_here, f"{where}: CrdtDelete after its own delete")
            state.deleted = True
        elif which == "stream_cancelled":
            cancelled = message.stream_cancelled.id
            self.rec.require(cc.CANCEL_ONCE, cancelled in state.calls, f"{where}: StreamCancelled for {cancelled}")
            state.calls.discard(cancelled)
            state.cancelling.add(cancelled)

    def _out(self, state: CrdtStream, out: Any) -> None:
        which = out.WhichOneof("message")
        if which == "reply":
            reply = out.reply
            state.outstanding.discard(reply.command_id)
            failed = reply.client_action.WhichOneof("action") == "failure"
            if reply.streamed and not failed and reply.command_id in state.streamed:
                state.calls.add(reply.command_id)
            if not failed:
                self._own(state, reply.state_action)
        elif which == "streamed_message":
            message = out.streamed_message
            if message.end_stream or message.client_action.WhichOneof("action") == "failure":
                state.calls.discard(message.command_id)
        elif which == "stream_cancelled_response":
            state.cancelling.discard(out.stream_cancelled_response.command_id)
            self._own(state, out.stream_cancelled_response.state_action)
        elif which == "failure":
            state.outstanding.clear()
            state.cancelling.clear()
            state.calls.clear()

    def _own(self, state: CrdtStream, action: Any) -> None:
        if action.WhichOneof("action") == "update":
            state.known = self._apply(state, state.known, action.update, True)
        elif action.WhichOneof("action") == "delete":
            state.deleted_here = True
            state.calls.clear()  # the proxy ends them (CRDT-040)

    def _apply(self, state: CrdtStream, known: Value | None, delta: Any, own: bool) -> Value | None:
        try:
            return apply(known, delta, own)
        except Unappliable:
            state.lost = True
            return known

    def _one_stream(self, info: StreamInfo) -> None:
        """CRDT-010: no other stream of the same proxy (the same peer) for the entity is still open."""
        for other in self.icp.log.streams(key=info.key):
            if other.id == info.id or other.opened > info.opened or other.peer != info.peer:
                continue
            if other.ended is None:
                other = self.icp.wait_closed(other.id, 2.0) or other
            overlapping = other.ended is None or (other.ended > info.opened and other.end_kind != "cancelled")
            self.rec.require(cc.ONE_STREAM, not overlapping, f"stream #{info.id} opened while #{other.id} was open")
