"""Rules every entity stream must follow, whatever the commands: checked over all records as they come.

:class:`StreamRules` is fed the interceptor's records (each once, in order) and
checks each event-sourced and value-entity stream on its own: init first and
once, replayed events only before the first command and numbered on from the
snapshot, command ids 1, 2, 3, ..., one command outstanding at a time, the
stream's entity id in every command, nothing after the half-close; and, across
streams, never two open streams for one entity.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tck.checks import Recorder
from tck.proxy import checks
from tck.proxy.calls import ENTITY_PROTOCOLS
from tck.proxy.interceptor import Interceptor
from tck.proxy.records import Record, StreamInfo


@dataclasses.dataclass
class _Stream:
    inits: int = 0
    last_command: int = 0
    outstanding: int | None = None
    next_event: int | None = None  # the sequence number the next replayed event must have
    commands_started: bool = False
    half_closed: bool = False


class StreamRules:
    def __init__(self, icp: Interceptor, rec: Recorder, grace: float = 2.0) -> None:
        self.icp = icp
        self.rec = rec
        self.grace = grace
        self._streams: dict[int, _Stream] = {}
        self._cursor = icp.mark()

    def check_new(self) -> None:
        """Check every record since the last call."""
        records = self.icp.records(self._cursor)
        if records:
            self._cursor = records[-1].seq + 1
        for record in records:
            info = self.icp.stream(record.stream) if record.stream else None
            if info is not None and info.protocol in ENTITY_PROTOCOLS:
                self._feed(info, record)

    def _feed(self, info: StreamInfo, record: Record) -> None:
        state = self._streams.setdefault(info.id, _Stream())
        where = f"stream #{info.id} ({info.service}/{info.entity_id!r})"
        if record.kind == "half-close":
            state.half_closed = True
        elif record.kind == "in":
            self.rec.require(checks.NOTHING_AFTER_HALF_CLOSE, not state.half_closed, f"{where}: sent after half-close")
            self._in(info, state, record.message, where)
        elif record.kind == "out" and state.outstanding is not None:
            out: Any = record.message
            if out.WhichOneof("message") == "reply" and out.reply.command_id == state.outstanding:
                state.outstanding = None

    def _in(self, info: StreamInfo, state: _Stream, message: Any, where: str) -> None:
        which = message.WhichOneof("message")
        first = state.inits == 0 and not state.commands_started and state.next_event is None
        if which == "init" or first:
            state.inits += 1
            self.rec.require(
                checks.INIT_FIRST,
                which == "init" and state.inits == 1,
                f"{where}: {'a second init' if which == 'init' else f'the first message is {which}, not init'}",
            )
            if which == "init":
                self._one_stream(info)
                snapshot = message.init.snapshot if info.protocol == "eventsourced" else None
                state.next_event = (snapshot.snapshot_sequence if snapshot is not None else 0) + 1
            return
        if which == "event":
            self.rec.require(checks.REPLAY_FIRST, not state.commands_started, f"{where}: an event after a command")
            expected = state.next_event
            self.rec.expect(checks.ES_RECOVERY, expected, message.event.sequence, f"{where}: replayed event sequence")
            state.next_event = message.event.sequence + 1
        elif which == "command":
            self._command(info, state, message.command, where)

    def _command(self, info: StreamInfo, state: _Stream, command: Any, where: str) -> None:
        state.commands_started = True
        self.rec.expect(checks.COMMAND_IDS, state.last_command + 1, command.id, f"{where}: command id")
        self.rec.expect(checks.COMMAND_ENTITY, info.entity_id, command.entity_id, f"{where}: command entity id")
        self.rec.expect(checks.NOT_STREAMED, False, command.streamed, f"{where}: Command.streamed")
        one = checks.ES_ONE_OUTSTANDING if info.protocol == "eventsourced" else checks.VE_ONE_OUTSTANDING
        self.rec.require(
            one, state.outstanding is None, f"{where}: command {command.id} while {state.outstanding} has no reply"
        )
        state.last_command, state.outstanding = command.id, command.id

    def _one_stream(self, info: StreamInfo) -> None:
        """TRN-020: every other stream of the entity ended before this one opened.

        A stream the proxy cancelled is recorded when the cancellation reaches
        the interceptor, which may be after the proxy opened the next one; such
        streams are not held against the proxy.
        """
        for other in self.icp.log.streams(key=info.key):
            if other.id == info.id or other.opened > info.opened or other.protocol != info.protocol:
                continue
            if other.ended is None:
                other = self.icp.wait_closed(other.id, self.grace) or other
            overlapping = other.ended is None or (other.ended > info.opened and other.end_kind != "cancelled")
            self.rec.require(
                checks.ONE_STREAM,
                not overlapping,
                f"stream #{info.id} for {info.service}/{info.entity_id!r} opened while stream #{other.id} was open",
            )
