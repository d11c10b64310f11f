"""Running action handlers of every streaming shape (shared by the servicer and
the testing module)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from cloudstate_sdk._definition import shape
from cloudstate_sdk.action import Action, ActionContext
from cloudstate_sdk.context import run_handler
from cloudstate_sdk.errors import HandlerError, _FailCommand
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Outcome, resolve


class ActionCall:
    """One call of an action method."""

    def __init__(self, action: Action, name: str, metadata: Metadata) -> None:
        found = action.handler_for(name)
        if found is None:
            raise HandlerError(f"{action.service_name} has no method {name!r}")
        self.method: MethodDescriptor = found[0]
        self.shape = shape(self.method)
        self._handler: Callable[..., Any] = found[1]
        self._where = f"action handler {self._handler.__qualname__} for {action.service_name}/{name}"
        self._context = ActionContext(action.service_name, name, metadata)

    def _outcome(self, result: object) -> Outcome:
        effects, forward = self._context._take()
        outcome = resolve(result, forward, self.method.output_type, self._where)
        outcome.effects = effects
        return outcome

    async def _argument(self, argument: object) -> object:
        if self.shape in ("unary", "stream_out"):
            return argument
        assert isinstance(argument, AsyncIterator)
        if inspect.iscoroutinefunction(self._handler) or inspect.isasyncgenfunction(self._handler):
            return argument
        # A plain function cannot consume an async stream: give it every message at once.
        return iter([message async for message in argument])

    async def call(self, argument: object) -> Outcome:
        """Run a unary or client-streaming handler (``argument``: a message or an async iterator of them)."""
        # An action failure keeps the side effects recorded before it.
        arguments = (await self._argument(argument), self._context)
        return await run_handler(self._handler, arguments, self._context, self.method.output_type, self._where)

    async def stream(self, argument: object) -> AsyncIterator[Outcome]:
        """Run a server-streaming or duplex handler, one outcome per result it produces."""
        try:
            results = self._handler(await self._argument(argument), self._context)
            if inspect.isawaitable(results):
                results = await results
            if isinstance(results, AsyncIterable):
                async for result in results:
                    yield self._outcome(result)
            elif isinstance(results, Iterable) and not isinstance(results, Message | str | bytes):
                for result in results:
                    yield self._outcome(result)
            else:
                raise HandlerError(f"{self._where} must return an iterator or async iterator, not {results!r}")
        except _FailCommand as failed:
            effects, _ = self._context._take()  # an action failure keeps its side effects
            yield Outcome(failure=failed.description, effects=effects)
            return
        leftover = self._outcome(None)  # effects or a forward recorded after the last result
        if leftover.effects or leftover.forward is not None:
            yield leftover
