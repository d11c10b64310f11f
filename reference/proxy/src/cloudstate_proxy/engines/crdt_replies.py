"""What a CRDT instance does with each message from the user function (spec/12-crdt.md).

A reply answers an outstanding command: its state action is applied to the
replica and to the known value at once (in arrival order, CRDT-004), and its
outcome is released to the client once the write is stored at the requested
consistency. A streamed message goes to its open call, after every write so
far. A cancellation response applies its state action and runs its side
effects with no client to tell. Anything else is a protocol violation: the
checks raise :class:`ProtocolViolation` and the instance restarts the stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from cloudstate import crdt_pb2, entity_pb2

from cloudstate_proxy.crdt import TOMBSTONE, Replicated, Tombstone, apply_delta, apply_value
from cloudstate_proxy.descriptors import MethodModel, ServiceModel
from cloudstate_proxy.engines.base import Engine, Outcome, Runtime
from cloudstate_proxy.engines.crdt_calls import Release, after
from cloudstate_proxy.engines.crdt_stream import CrdtStream
from cloudstate_proxy.engines.crdt_writes import CrdtWriter
from cloudstate_proxy.errors import EntityDeleted, EntityFailure, ProtocolViolation, ProxyError
from cloudstate_proxy.stores.replication import Replication

log = logging.getLogger(__name__)


class CrdtReplies:
    """The message handling half of :class:`~.crdt_instance.CrdtInstance` (which provides the rest)."""

    engine: Engine
    service: ServiceModel
    runtime: Runtime
    replication: Replication
    entity_id: str
    label: str
    state: Replicated | None
    stream: CrdtStream | None
    writer: CrdtWriter

    def _turn(self) -> None: ...
    def _check_idle(self) -> None: ...
    def _crashed(self, stream: CrdtStream, error: ProxyError) -> None: ...
    def _violation(self, stream: CrdtStream, violation: ProtocolViolation) -> None: ...
    def _fail_queue(self, error: ProxyError) -> None: ...
    def _timed_out(self, stream: CrdtStream, command_id: int, cancellation: bool = False) -> None: ...

    def _gone(self) -> EntityDeleted:
        return EntityDeleted(f"{self.label} was deleted")

    def _receive(self, stream: CrdtStream, out: crdt_pb2.CrdtStreamOut) -> None:
        if stream is not self.stream:
            return  # a stream being closed: nothing of it counts any more
        which = out.WhichOneof("message")
        try:
            if which == "reply":
                self._reply(stream, out.reply)
            elif which == "streamed_message":
                self._streamed_message(stream, out.streamed_message)
            elif which == "stream_cancelled_response":
                self._cancel_response(stream, out.stream_cancelled_response)
            elif which == "failure":
                description = out.failure.description or "(no description)"
                self._crashed(stream, EntityFailure(f"{self.label} failed: {description}"))
            else:
                raise ProtocolViolation("a CrdtStreamOut with no message set")
        except ProtocolViolation as violation:
            self._violation(stream, violation)
            return
        self._turn()
        self._check_idle()

    def _reply(self, stream: CrdtStream, reply: crdt_pb2.CrdtReply) -> None:
        command_id = reply.command_id
        sent = stream.outstanding.get(command_id)
        if sent is None:
            raise ProtocolViolation(f"reply for command {command_id}, which is not outstanding on the stream")
        pending = sent.pending
        if reply.streamed and not pending.streamed:
            raise ProtocolViolation(f"streamed reply to command {command_id}, which is not a streamed command")
        if reply.client_action.WhichOneof("action") is None and not pending.streamed:
            raise ProtocolViolation(f"reply to command {command_id} has no client action")
        what = f"reply to command {command_id}"
        action = reply.state_action if reply.HasField("state_action") else None
        outcome = self._outcome(what, reply.client_action, reply.side_effects, action is not None)
        write = self._apply(stream, action if outcome.failure is None else None)
        del stream.outstanding[command_id]
        sent.timer.cancel()
        call = pending.call
        opened = call is not None and reply.streamed and outcome.failure is None
        pending.deliver(after(write, outcome), final=not opened)
        if call is not None and opened:
            if call.cancel_requested:  # the client left while the command was outstanding
                self._cancel(stream, command_id, call.method)
            else:
                stream.calls[command_id] = call

    def _streamed_message(self, stream: CrdtStream, message: crdt_pb2.CrdtStreamedMessage) -> None:
        command_id = message.command_id
        call = stream.calls.get(command_id)
        if call is None:
            if command_id in stream.cancelled:
                return  # the client has gone; the user function had not heard yet (CRDT-055)
            raise ProtocolViolation(f"streamed message for command {command_id}, which has no open streamed call")
        outcome = self._outcome(f"streamed message of command {command_id}", message.client_action,
                                message.side_effects, False)  # fmt: skip
        # Released after every write so far: the message may reflect them (FAIL-051).
        call.push(after(self.writer.write(crdt_pb2.LOCAL, change=False), outcome))
        if message.end_stream or outcome.failure is not None:
            del stream.calls[command_id]
            call.end()

    def _cancel_response(self, stream: CrdtStream, response: crdt_pb2.CrdtStreamCancelledResponse) -> None:
        command_id = response.command_id
        waiting = stream.cancelling.get(command_id)
        if waiting is None:
            raise ProtocolViolation(f"stream cancelled response for command {command_id}, which awaits none")
        method, timer = waiting
        action = response.state_action if response.HasField("state_action") else None
        write = self._apply(stream, action)
        del stream.cancelling[command_id]
        timer.cancel()
        release = after(write, Outcome(side_effects=tuple(response.side_effects)))
        release.add_done_callback(lambda done: self._after_cancel(method, done))

    def _after_cancel(self, method: MethodModel, release: Release) -> None:
        """Side effects of a cancellation run once its state action is stored; failures are only logged."""
        error = release.exception()
        outcome = release.result() if error is None else None
        if error is not None:
            log.warning("state action of a cancelled stream failed", extra={"entity": self.label, "error": str(error)})
        elif outcome is not None and outcome.side_effects and self.engine.detached is not None:
            self.engine.detached(method, outcome, self.entity_id)

    def _apply(self, stream: CrdtStream, action: crdt_pb2.CrdtStateAction | None) -> asyncio.Future[None]:
        """Apply a state action to the replica and the known value; the write (or a barrier) to wait for."""
        kind = action.WhichOneof("action") if action is not None else None
        if action is None or kind is None:  # no change; its write consistency means nothing (CRDT-025)
            return self.writer.write(crdt_pb2.LOCAL, change=False)
        if isinstance(self.state, Tombstone):  # CRDT-037: the entity was deleted meanwhile
            gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            gone.set_exception(self._gone())
            return gone
        if kind == "update":
            now_ms = int(time.time() * 1000)
            state = apply_delta(self.state, self.replication.replica, action.update, now_ms)  # InvalidDelta
            known = apply_value(stream.known, action.update, own=True)
            self.state, stream.known = state, known
            return self.writer.write(action.write_consistency, change=True, updating=True)
        self.state, stream.deleted_here = TOMBSTONE, True
        self._fail_queue(self._gone())  # CRDT-036
        return self.writer.write(action.write_consistency, change=True)

    def _cancel(self, stream: CrdtStream, command_id: int, method: MethodModel) -> None:
        """Tell the user function that a streamed call's client went away (CRDT-057)."""
        timeout = self.runtime.settings.relay_timeout
        timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, stream, command_id, True)
        stream.cancelling[command_id] = (method, timer)
        stream.cancelled.add(command_id)
        cancelled = entity_pb2.StreamCancelled(entity_id=self.entity_id, id=command_id)
        stream.send(crdt_pb2.CrdtStreamIn(stream_cancelled=cancelled))

    def _outcome(
        self,
        what: str,
        action: entity_pb2.ClientAction,
        side_effects: Sequence[entity_pb2.SideEffect],
        state_action: bool,
    ) -> Outcome:
        """The client outcome; a failure keeps nothing else (FAIL-008, FAIL-009)."""
        outcome = Outcome.of(action, tuple(side_effects))
        if outcome.failure is None:
            return outcome
        extras = [*(["side effects"] if side_effects else []), *(["a state action"] if state_action else [])]
        if extras:
            self.runtime.reporter.report(
                f"{self.label}: the failure in the {what} also carries {', '.join(extras)}; they were discarded",
                warning=True,
            )
        return Outcome(failure=outcome.failure)
