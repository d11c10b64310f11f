"""Telling the user function what it did wrong: EntityDiscovery.reportError.

Reports never hold up a client call and never fail: each one is logged, then
sent in the background; a user function that cannot be reached just misses
the report (the log still has it).
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from cloudstate import entity_pb2, entity_pb2_grpc

log = logging.getLogger(__name__)


class ErrorReporter:
    """Logs problems caused by the user function and reports them to it."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0) -> None:
        self._stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
        self._timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    def report(self, message: str, *, warning: bool = False, **context: object) -> None:
        """Log ``message`` and send it to the user function in the background."""
        task = asyncio.get_running_loop().create_task(self.send(message, warning=warning, **context))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, message: str, *, warning: bool = False, **context: object) -> None:
        """Log ``message`` and send it now; returns once the user function acknowledged it (or did not)."""
        text = f"{'warning' if warning else 'error'}: {message}"  # the severity prefix of DISC-053
        log.log(logging.WARNING if warning else logging.ERROR, text, extra={"reported": True, **context})
        try:
            await self._stub.reportError(entity_pb2.UserFunctionError(message=text), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            log.warning("reportError could not be delivered", extra={"code": error.code().name, "report": text})

    async def flush(self) -> None:
        """Wait for reports still being sent (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
