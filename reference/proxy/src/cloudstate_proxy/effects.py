"""Forwards and side effects: calls the proxy makes to the user function on behalf of a command.

Both name a service and method of the same user function and are run
through the router as if a client had made the call (so entity keys, queues
and persistence apply to them as usual). Targets must be unary methods. A
forward's answer replaces the original reply and must have the same type; a
side effect's answer and failure are ignored (failures are logged). An
unusable target is reported to the user function; it fails a forward with
INTERNAL and makes the proxy skip a side effect (spec/05-commands.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from cloudstate import entity_pb2
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

from cloudstate_proxy import metadata
from cloudstate_proxy.descriptors import MethodModel
from cloudstate_proxy.errors import EntityFailure, MissingEntityKey, ProxyError
from cloudstate_proxy.invoking import Call, Response
from cloudstate_proxy.reporting import ErrorReporter

if TYPE_CHECKING:
    from cloudstate_proxy.router import Router

log = logging.getLogger(__name__)

#: The longest chain of forwards (and nested side effects) for one client call (FX-021).
MAX_CHAIN = 32
# The methods a forward chain has passed through so far, outermost first.
_chain: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("cloudstate_proxy_chain", default=())


class Effects:
    def __init__(self, router: Router, reporter: ErrorReporter, relay_timeout: float) -> None:
        self._router = router
        self._reporter = reporter
        self._relay_timeout = relay_timeout
        self._background: set[asyncio.Task[Any]] = set()

    @staticmethod
    def nested() -> bool:
        """True inside a forward or side effect (as opposed to a client's own call)."""
        return bool(_chain.get())

    def target(self, service: str, name: str, where: str, output: str | None = None) -> MethodModel:
        """The method a forward or side effect names; reported and raised as EntityFailure when unusable."""
        target = self._router.method(service, name)
        if target is None:
            problem = f"{where}: {service}.{name} is not a method of the user function's services"
        elif target.client_streaming or target.server_streaming:
            problem = f"{where}: {service}.{name} is a streaming method; only unary methods can be targets"
        elif output is not None and target.descriptor.output_type.full_name != output:
            problem = f"{where}: {service}.{name} returns {target.descriptor.output_type.full_name}, not {output}"
        elif len(_chain.get()) >= MAX_CHAIN:
            problem = f"{where}: more than {MAX_CHAIN} forwards in a row: {' -> '.join(_chain.get())}"
        else:
            return target
        self._reporter.report(problem)
        raise EntityFailure(problem)

    async def forward(self, origin: MethodModel, label: str, forward: entity_pb2.Forward) -> Response:
        """Run ``forward`` on behalf of a call of ``origin``; ``label`` names the call in reports."""
        output = origin.descriptor.output_type.full_name
        where = f"forward from {label}"
        target = self.target(forward.service_name, forward.command_name, where, output)
        return await self.call(target, forward.payload, forward.metadata, where)

    async def call(self, target: MethodModel, payload: any_pb2.Any, md: entity_pb2.Metadata, where: str) -> Response:
        """Invoke the unary method ``target`` for a forward or side effect, as a client would."""
        expected = target.descriptor.input_type.full_name
        if payload.type_url.rsplit("/", 1)[-1] != expected:
            self._reporter.report(
                f"{where}: the payload for {target.service}.{target.name} has type {payload.type_url!r}, not "
                f"{expected}; reading it as {expected}",
                warning=True,
            )
        request = target.input_class()
        try:
            request.ParseFromString(payload.value)
        except DecodeError:
            problem = f"{where}: the payload for {target.service}.{target.name} is not a valid {expected}"
            self._reporter.report(problem)
            raise EntityFailure(problem) from None
        call = Call(target.service, target.name, metadata.from_proto(md))
        token = _chain.set((*_chain.get(), f"{target.service}.{target.name}"))
        try:
            return await self._router.unary(call, request)
        except MissingEntityKey as error:  # the user function's mistake here, not a client's (KEY-021)
            problem = f"{where}: the payload for {target.service}.{target.name} has no entity key: {error.message}"
            self._reporter.report(problem)
            raise EntityFailure(problem) from None
        finally:
            _chain.reset(token)

    async def _run(self, label: str, effect: entity_pb2.SideEffect) -> None:
        where = f"side effect of {label}"
        try:
            target = self.target(effect.service_name, effect.command_name, where)
            call = self.call(target, effect.payload, effect.metadata, where)
            if effect.synchronous:  # a synchronous effect that takes too long counts as failed (FX-011)
                await asyncio.wait_for(call, self._relay_timeout)
            else:
                await call
        except (ProxyError, TimeoutError) as error:
            log.warning(
                "side effect failed",
                extra={"origin": label, "target": effect.service_name,
                       "method": effect.command_name, "error": str(error) or "timed out"},
            )  # fmt: skip
        except Exception:
            log.exception("side effect failed unexpectedly", extra={"target": effect.service_name})

    async def run_synchronous(self, label: str, effects: Sequence[entity_pb2.SideEffect]) -> None:
        for effect in effects:
            if effect.synchronous:
                await self._run(label, effect)

    def start_asynchronous(self, label: str, effects: Sequence[entity_pb2.SideEffect]) -> None:
        for effect in effects:
            if not effect.synchronous:
                self.spawn(self._run(label, effect))

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` in the background, kept alive until done (and waited for at shutdown)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: whoever awaited the task has handled it, or nobody needed it

    async def drain(self, timeout: float) -> None:
        """Wait (up to ``timeout``) for background work still running, then cancel the rest."""
        if self._background:
            _, late = await asyncio.wait(set(self._background), timeout=timeout)
            for task in late:
                task.cancel()
