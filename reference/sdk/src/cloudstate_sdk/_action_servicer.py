"""The ``cloudstate.action.ActionProtocol`` protocol: one gRPC call per client call.

Malformed input from the proxy ends the call with INVALID_ARGUMENT (unknown
service or method: UNIMPLEMENTED); a handler that raises ends it with UNKNOWN
and a description naming the action, method and exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc
from cloudstate import action_pb2, action_pb2_grpc

from cloudstate_sdk._action_runtime import ActionCall
from cloudstate_sdk._definition import shape
from cloudstate_sdk._streams import crash_description, decode_input, logger
from cloudstate_sdk.action import Action
from cloudstate_sdk.errors import ProtocolError
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Outcome


def _response(outcome: Outcome) -> action_pb2.ActionResponse:
    response = action_pb2.ActionResponse(side_effects=[effect.to_proto() for effect in outcome.effects])
    action = outcome.client_action()
    if action is not None:
        # ActionResponse's oneof uses the member names of ClientAction.
        kind = str(action.WhichOneof("action"))
        getattr(response, kind).CopyFrom(getattr(action, kind))
    return response


class ActionServicer(action_pb2_grpc.ActionProtocolServicer):
    def __init__(self, actions: Mapping[str, Action]) -> None:
        self._actions = dict(actions)

    def _start(self, command: action_pb2.ActionCommand, expected_shape: str, streamed_in: bool) -> ActionCall:
        action = self._actions.get(command.service_name)
        if action is None:
            raise _Abort(grpc.StatusCode.UNIMPLEMENTED, f"{command.service_name!r} is not served as an action")
        found = action.handler_for(command.name)
        if found is None:
            raise _Abort(grpc.StatusCode.UNIMPLEMENTED, f"action {action.service_name} has no method {command.name!r}")
        if shape(found[0]) != expected_shape:
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"{action.service_name}/{command.name} is not {expected_shape}"
            )
        if streamed_in and command.HasField("payload"):
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"the first command of a call to {action.service_name}/{command.name} must carry no payload",
            )
        return ActionCall(action, command.name, Metadata.from_proto(command.metadata))

    async def _first(self, requests: AsyncIterator[action_pb2.ActionCommand]) -> action_pb2.ActionCommand:
        async for command in requests:
            return command
        raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "the call ended before its first command")

    async def _inputs(self, call: ActionCall, requests: AsyncIterator[action_pb2.ActionCommand]) -> AsyncIterator[Any]:
        async for command in requests:
            yield decode_input(call.method, command, f"{call.method.full_name} message")

    async def handleUnary(self, command: action_pb2.ActionCommand, context: Any) -> action_pb2.ActionResponse:
        async with _Guard(context, command) as guard:
            call = self._start(command, "unary", streamed_in=False)
            argument = decode_input(call.method, command, call.method.full_name)
            return _response(await call.call(argument))
        return guard.unreachable()

    async def handleStreamedIn(
        self, requests: AsyncIterator[action_pb2.ActionCommand], context: Any
    ) -> action_pb2.ActionResponse:
        first = action_pb2.ActionCommand()
        async with _Guard(context, first) as guard:
            first.CopyFrom(await self._first(requests))
            call = self._start(first, "stream_in", streamed_in=True)
            return _response(await call.call(self._inputs(call, requests)))
        return guard.unreachable()

    async def handleStreamedOut(
        self, command: action_pb2.ActionCommand, context: Any
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        async with _Guard(context, command):
            call = self._start(command, "stream_out", streamed_in=False)
            argument = decode_input(call.method, command, call.method.full_name)
            async for outcome in call.stream(argument):
                yield _response(outcome)

    async def handleStreamed(
        self, requests: AsyncIterator[action_pb2.ActionCommand], context: Any
    ) -> AsyncIterator[action_pb2.ActionResponse]:
        first = action_pb2.ActionCommand()
        async with _Guard(context, first):
            first.CopyFrom(await self._first(requests))
            call = self._start(first, "streamed", streamed_in=True)
            async for outcome in call.stream(self._inputs(call, requests)):
                yield _response(outcome)


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


class _Guard:
    """Turns what goes wrong in a call into a gRPC status for the proxy."""

    def __init__(self, context: Any, command: action_pb2.ActionCommand) -> None:
        self._context, self._command = context, command

    async def __aenter__(self) -> _Guard:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> bool:
        if error is None or not isinstance(error, Exception) or isinstance(error, grpc.aio.AbortError):
            return False
        where = f"action {self._command.service_name}/{self._command.name}"
        if isinstance(error, _Abort):
            logger.error("%s: %s", where, error.description)
            await self._context.abort(error.code, f"{where}: {error.description}")
        if isinstance(error, ProtocolError):
            logger.error("%s: %s", where, error)
            await self._context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        await self._context.abort(grpc.StatusCode.UNKNOWN, crash_description(where, error))
        return False  # unreachable: abort raises

    def unreachable(self) -> action_pb2.ActionResponse:
        raise AssertionError("the call was aborted")
