"""One open ``Crdt.handle`` call and what the proxy tracks about it.

Messages to the user function go through an outbox that a writer task
drains, so the instance can send from plain (synchronous) code and the
messages keep their order. A reader task hands every message from the user
function to the instance as it arrives, and reports how the call ended when
the proxy did not end it itself.

Besides the transport, a stream holds the per-stream protocol state: the
known value (CRDT-004), the next command id, the commands sent and not yet
answered, the cancellations sent and not yet answered, and the streamed calls
that are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable

import grpc
from cloudstate import crdt_pb2
from cloudstate import crdt_pb2_grpc as crdt_grpc

from cloudstate_proxy.crdt import Value
from cloudstate_proxy.descriptors import MethodModel
from cloudstate_proxy.engines.base import Runtime
from cloudstate_proxy.engines.crdt_calls import Pending, StreamedCall
from cloudstate_proxy.engines.session import transport_error
from cloudstate_proxy.errors import EntityFailure, ProxyError

log = logging.getLogger(__name__)


@dataclasses.dataclass(eq=False)
class Sent:
    """A command on the stream waiting for its reply, with its relay timer."""

    pending: Pending
    timer: asyncio.TimerHandle


class CrdtStream:
    def __init__(
        self,
        runtime: Runtime,
        label: str,
        receive: Callable[[CrdtStream, crdt_pb2.CrdtStreamOut], None],
        broken: Callable[[CrdtStream, ProxyError], None],
    ) -> None:
        self.label = label
        self.known: Value | None = None
        self.next_id = 1
        self.outstanding: dict[int, Sent] = {}
        # StreamCancelled sent, no response yet: the cancelled method, and a relay timer like a command's.
        self.cancelling: dict[int, tuple[MethodModel, asyncio.TimerHandle]] = {}
        self.cancelled: set[int] = set()  # every command id ever cancelled (CRDT-055)
        self.calls: dict[int, StreamedCall] = {}  # streamed calls the user function keeps open
        self.deleted_here = False  # the delete came in a reply on this stream (CRDT-038)
        self.closing = False
        self._connected = False  # a message went out: a transport error now means a crash (TRN-032)
        self._receive, self._broken = receive, broken
        self._call = crdt_grpc.CrdtStub(runtime.channel).handle()
        self._outbox: asyncio.Queue[crdt_pb2.CrdtStreamIn | None] = asyncio.Queue()  # None: half-close
        loop = asyncio.get_running_loop()
        self._writer = loop.create_task(self._write(), name=f"to {label}")
        self._reader = loop.create_task(self._read(), name=f"from {label}")

    @property
    def busy(self) -> bool:
        """An operation is outstanding: a command without reply or a cancellation without response."""
        return bool(self.outstanding or self.cancelling)

    def send(self, message: crdt_pb2.CrdtStreamIn) -> None:
        if not self.closing:
            self._outbox.put_nowait(message)

    async def close(self, grace: float) -> None:
        """Half-close after what is queued, wait up to ``grace`` for the user function to end, then cancel."""
        self.closing = True
        self._outbox.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._reader), grace)
        self.abort()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    def abort(self) -> None:
        """Cancel the call at once (after a violation or crash, or when closing took too long)."""
        self.closing = True
        self._call.cancel()
        self._writer.cancel()
        self._reader.cancel()

    async def _write(self) -> None:
        try:
            while (message := await self._outbox.get()) is not None:
                await self._call.write(message)
                self._connected = True
            await self._call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError) as error:
            log.debug("writing to an entity stream failed", extra={"entity": self.label, "error": repr(error)})

    async def _read(self) -> None:
        try:
            while True:
                out = await self._call.read()
                if out is grpc.aio.EOF:
                    if not self.closing:
                        self._broken(self, EntityFailure(f"{self.label}: the user function ended the entity stream"))
                    return
                self._receive(self, out)
        except grpc.aio.AioRpcError as error:
            if not self.closing:
                self._broken(self, transport_error(error, self.label, connected=self._connected))
