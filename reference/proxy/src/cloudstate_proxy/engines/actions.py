"""Actions (spec/11-actions.md): one ActionProtocol call per client call, in the matching shape.

Streamed-in and duplex calls start with a command that only names the
method (and carries the metadata); every client message then follows as a
command with only a payload. A pump task relays the client's messages while
the caller reads the user function's answers; when either side is done the
other is wound down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import grpc
from cloudstate import action_pb2, entity_pb2
from cloudstate import action_pb2_grpc as action_grpc
from google.protobuf import any_pb2

from cloudstate_proxy.descriptors import MethodModel
from cloudstate_proxy.engines.base import Engine, Invocation, Outcome
from cloudstate_proxy.engines.session import transport_error
from cloudstate_proxy.errors import ProxyError, RelayTimeout


def _label(method: MethodModel) -> str:
    return f"action {method.service}.{method.name}"


class _Pump:
    """Relays client messages into a streaming call; remembers a client-side error to raise instead."""

    def __init__(
        self, call: Any, method: MethodModel, metadata: entity_pb2.Metadata, payloads: AsyncIterator[any_pb2.Any]
    ) -> None:
        self.error: ProxyError | None = None
        self._call = call
        first = action_pb2.ActionCommand(service_name=method.service, name=method.name, metadata=metadata)
        self.task = asyncio.get_running_loop().create_task(self._run(first, payloads))

    async def _run(self, first: action_pb2.ActionCommand, payloads: AsyncIterator[any_pb2.Any]) -> None:
        try:
            await self._call.write(first)
            async for payload in payloads:
                await self._call.write(action_pb2.ActionCommand(payload=payload))
            await self._call.done_writing()
        except ProxyError as error:  # the client sent something we cannot relay (e.g. a malformed message)
            self.error = error
            self._call.cancel()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            pass  # the user function has finished the call; its answer (or error) is what counts

    def failure(self, error: BaseException, label: str) -> BaseException:
        """What the caller should raise when the call ended with ``error``."""
        if self.error is not None:
            return self.error
        if isinstance(error, grpc.aio.AioRpcError):
            return transport_error(error, label)
        return error

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class ActionEngine(Engine):
    def _stub(self) -> Any:
        return action_grpc.ActionProtocolStub(self.runtime.channel)

    async def unary(self, invocation: Invocation) -> Outcome:
        method = invocation.method
        command = action_pb2.ActionCommand(
            service_name=method.service, name=method.name, payload=invocation.payload, metadata=invocation.metadata
        )
        try:
            response = await self._stub().handleUnary(command, timeout=self.runtime.settings.relay_timeout)
        except grpc.aio.AioRpcError as error:
            raise transport_error(error, _label(method)) from None
        return Outcome.of_action(response)

    async def server_streaming(self, invocation: Invocation) -> AsyncGenerator[Outcome, None]:
        method = invocation.method
        command = action_pb2.ActionCommand(
            service_name=method.service, name=method.name, payload=invocation.payload, metadata=invocation.metadata
        )
        call = self._stub().handleStreamedOut(command)
        try:
            async for response in call:
                yield Outcome.of_action(response)
        except grpc.aio.AioRpcError as error:
            raise transport_error(error, _label(method)) from None
        finally:
            call.cancel()  # the client went away or a failure ended the call: stop the user function's side

    async def client_streaming(
        self, method: MethodModel, metadata: entity_pb2.Metadata, payloads: AsyncIterator[any_pb2.Any]
    ) -> Outcome:
        call = self._stub().handleStreamedIn()
        pump = _Pump(call, method, metadata, payloads)
        answer: asyncio.Future[action_pb2.ActionResponse] = asyncio.ensure_future(call)
        try:
            # The relay timeout runs from the half-close (the client's last message) to the answer (FAIL-029).
            either: set[asyncio.Future[Any]] = {pump.task, answer}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            response = await asyncio.wait_for(answer, self.runtime.settings.relay_timeout)
        except TimeoutError:
            raise RelayTimeout(f"{_label(method)} did not answer within the relay timeout") from None
        except (grpc.aio.AioRpcError, asyncio.CancelledError) as error:
            raise pump.failure(error, _label(method)) from None
        finally:
            answer.cancel()
            call.cancel()
            await pump.stop()
        return Outcome.of_action(response)

    async def bidi_streaming(
        self, method: MethodModel, metadata: entity_pb2.Metadata, payloads: AsyncIterator[any_pb2.Any]
    ) -> AsyncGenerator[Outcome, None]:
        call = self._stub().handleStreamed()
        pump = _Pump(call, method, metadata, payloads)
        try:
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    return
                yield Outcome.of_action(response)
        except (grpc.aio.AioRpcError, asyncio.CancelledError) as error:
            raise pump.failure(error, _label(method)) from None
        finally:
            call.cancel()
            await pump.stop()
