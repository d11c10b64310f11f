"""One open ``handle`` call to the user function, with a reader that watches it all the time.

The reader runs for the whole life of the stream, not only while a command
is outstanding, so that a reply nobody asked for, a stream-level failure or
an early end is noticed when it happens. What it finds is handed to the
command waiting for a reply, or, when none is waiting, kept in
:attr:`EntityStream.broken` for the next command to see.

Two kinds of trouble are told apart, because they affect queued commands
differently (spec/06-failures.md): a crash (stream-level Failure, early end,
broken connection) is a :class:`ProxyError`; a protocol violation is a
:class:`ProtocolViolation`, reported here to the user function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import grpc
from cloudstate import entity_pb2
from google.protobuf import message

from cloudstate_proxy.engines.session import EntityReply, EntitySession, transport_error
from cloudstate_proxy.errors import EntityFailure, ProtocolViolation, ProxyError

log = logging.getLogger(__name__)


class EntityStream:
    def __init__(self, session: EntitySession) -> None:
        self.session = session
        self.label = session.label
        self.broken: ProxyError | ProtocolViolation | None = None
        self._call = session.open()
        self._waiter: asyncio.Future[EntityReply] | None = None
        self._expected = 0
        self._name = ""
        self._closing = False
        # Set once a message went out: the stream had reached the user function, so a transport error is a crash.
        self._connected = False
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def send(self, msg: message.Message) -> None:
        if self.broken is not None:
            raise self.broken
        try:
            await self._call.write(msg)
            self._connected = True
        except grpc.aio.AioRpcError as error:
            self._break(transport_error(error, self.label, connected=self._connected))
        except Exception as error:  # the call already ended: the reader says why, or we do
            await asyncio.sleep(0)
            self._break(EntityFailure(f"{self.label}: the entity stream is closed ({type(error).__name__})"))
        if self.broken is not None:
            raise self.broken

    async def request(self, command: entity_pb2.Command, timeout: float) -> EntityReply:
        """Send a command and wait for its reply; raises what broke the stream, or TimeoutError."""
        waiter: asyncio.Future[EntityReply] = asyncio.get_running_loop().create_future()
        self._waiter, self._expected, self._name = waiter, command.id, command.name
        msg = self.session.command(command)
        try:
            await self.send(msg)
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiter = None

    async def close(self, grace: float) -> None:
        """End the stream: half-close and wait up to ``grace`` for the user function to finish, then cancel."""
        self._closing = True
        if self.broken is None and grace > 0:
            with contextlib.suppress(Exception):
                await self._call.done_writing()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._reader), grace)
        self._call.cancel()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

    async def _read(self) -> None:
        try:
            while self.broken is None:
                out = await self._call.read()
                if out is grpc.aio.EOF:
                    if not self._closing:
                        self._break(EntityFailure(f"{self.label}: the user function ended the entity stream"))
                    return
                self._receive(out)
        except grpc.aio.AioRpcError as error:
            if not self._closing:
                self._break(transport_error(error, self.label, connected=self._connected))
            else:
                log.debug("entity stream ended while closing", extra={"entity": self.label, "code": error.code().name})
        except asyncio.CancelledError:
            if not self._closing:
                raise

    def _receive(self, out: Any) -> None:
        try:
            item = self.session.split(out)
        except ProtocolViolation as violation:
            waiter = self._waiter
            if waiter is not None and not waiter.done():  # the report names the command concerned (FAIL-032)
                violation = ProtocolViolation(
                    f"{violation} while command {self._expected} ({self._name}) is outstanding"
                )
            self._violate(violation)
            return
        if isinstance(item, entity_pb2.Failure):
            failure = f"{self.label} failed: {item.description or '(no description)'}"
            log.warning("entity failed", extra={"entity": self.label, "description": item.description})
            self._break(EntityFailure(failure))
            return
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._violate(ProtocolViolation(f"reply for command {item.command_id} while no command is outstanding"))
        elif item.command_id != self._expected:
            outstanding = f"command {self._expected} ({self._name})"
            self._violate(
                ProtocolViolation(f"reply with command id {item.command_id} while {outstanding} is outstanding")
            )
        else:
            waiter.set_result(item)

    def _violate(self, violation: ProtocolViolation) -> None:
        self.session.runtime.reporter.report(f"protocol violation by {self.label}: {violation}")
        self._break(violation)
        self._closing = True
        self._call.cancel()

    def _break(self, error: ProxyError | ProtocolViolation) -> None:
        if self.broken is None:
            self.broken = error
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
