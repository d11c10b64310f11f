"""What the test kits share: running a coroutine from plain tests, checking
inputs, the result of one handler run, and numbering commands."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from cloudstate_sdk.calls import Effect, ServiceCall
from cloudstate_sdk.errors import PayloadError
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Outcome

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a kit's coroutine to completion from plain (non-async) code."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # A private loop, never installed as the thread's current loop:
        # asyncio.run would replace (and so orphan, unclosed) a loop that the
        # caller's test framework may have installed there.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(coroutine)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    # Inside a running loop we cannot block; a handler that never suspends
    # still completes in one step.
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the handler waits for something: call the *_async variant and await it")


def check_input(method: MethodDescriptor, message: object) -> None:
    expected = method.input_type.full_name
    if not isinstance(message, Message) or message.DESCRIPTOR.full_name != expected:
        raise PayloadError(f"{method.full_name} takes a {expected}, not {type(message).__qualname__}")


@dataclass(frozen=True)
class ActionResult:
    """What one handler result turned into (exactly one of reply/forward/failure, or none)."""

    reply: Message | None
    reply_metadata: Metadata
    forward: ServiceCall | None
    failure: str | None
    effects: list[Effect]

    @classmethod
    def _of(cls, outcome: Outcome) -> ActionResult:
        return cls(outcome.reply, outcome.reply_metadata, outcome.forward, outcome.failure, list(outcome.effects))


class EntityKit:
    def __init__(self) -> None:
        self._next_id = 1

    def _command_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1
