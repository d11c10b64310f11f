"""The client side of CRDT commands: a unary command's future, a streamed command's ordered messages.

Whatever the user function answers is released to the client only once the
state it depends on is persisted (and, for the command's own write, at its
write consistency). A *release* is therefore a future: it resolves to the
outcome for the client (None: nothing to emit) or fails with the reason the
command cannot be answered. A streamed call queues its releases in the order
the messages arrived, so a later message never overtakes an earlier one that
is still waiting for its write.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from cloudstate_proxy.descriptors import MethodModel
from cloudstate_proxy.engines.base import Invocation, Outcome
from cloudstate_proxy.errors import ProxyError

Release = asyncio.Future[Outcome | None]
T = TypeVar("T")


def _chain(source: asyncio.Future[Any], target: asyncio.Future[T], result: Callable[[], T]) -> None:
    """When ``source`` is done, complete ``target`` with ``result()``, or with ``source``'s failure."""

    def done(finished: asyncio.Future[Any]) -> None:
        if target.done():
            return
        error = finished.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(result())

    source.add_done_callback(done)


def after(barrier: asyncio.Future[None], outcome: Outcome | None) -> Release:
    """``outcome``, once ``barrier`` (a write) has completed; the barrier's failure otherwise."""
    future: Release = asyncio.get_running_loop().create_future()
    _chain(barrier, future, lambda: outcome)
    return future


class StreamedCall:
    """The messages of one streamed command for its client, in order, until the call ends."""

    def __init__(self, method: MethodModel) -> None:
        self.method = method
        self.command_id = 0  # set when the command is sent
        self.ended = False  # no more messages: ended by the proxy, the user function or the client
        self.cancel_requested = False  # the client left before the user function opened the call
        self._items: asyncio.Queue[Release | None] = asyncio.Queue()  # None: the end

    def push(self, release: Release) -> None:
        if not self.ended:
            self._items.put_nowait(release)

    def end(self, error: ProxyError | None = None) -> None:
        """No more messages; ``error`` ends the client's call with that status after the queued messages."""
        if self.ended:
            return
        if error is not None:
            failed: Release = asyncio.get_running_loop().create_future()
            failed.set_exception(error)
            self._items.put_nowait(failed)
        self._items.put_nowait(None)
        self.ended = True

    async def messages(self) -> AsyncIterator[Outcome]:
        while (release := await self._items.get()) is not None:
            outcome = await release
            if outcome is not None:
                yield outcome


@dataclasses.dataclass(eq=False)
class Pending:
    """A command accepted for an entity and not yet answered: a unary future or a streamed call."""

    invocation: Invocation
    future: asyncio.Future[Outcome] | None = None
    call: StreamedCall | None = None

    @property
    def streamed(self) -> bool:
        return self.call is not None

    def fail(self, error: ProxyError) -> None:
        if self.future is not None and not self.future.done():
            self.future.set_exception(error)
        if self.call is not None:
            self.call.end(error)

    def deliver(self, release: Release, final: bool) -> None:
        """Hand a release to the client; ``final`` ends a streamed call after it."""
        if self.future is not None:
            _chain(release, self.future, lambda: release.result() or Outcome())
        elif self.call is not None:
            self.call.push(release)
            if final:
                self.call.end()
