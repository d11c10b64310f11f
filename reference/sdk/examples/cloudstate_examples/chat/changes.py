"""Streaming a view of a CRDT to a client, one message per visible change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cloudstate_sdk import CrdtContext, SubscriptionContext
from google.protobuf.message import Message

ViewT = TypeVar("ViewT", bound=Message)


def stream_changes(ctx: CrdtContext, first: ViewT, view: Callable[[Any], ViewT]) -> ViewT:
    """Send ``view(state)`` after every change that alters it; the client gets ``first`` now.

    Returns ``first``, the reply of the streamed command. Changes that leave the
    view as it was (a vote from a replica that changes no answer, an element
    added twice) send nothing, so clients see each value once.
    """
    last = first

    def changed(state: Any, _sub: SubscriptionContext) -> ViewT | None:
        nonlocal last
        now = view(state)
        if now == last:
            return None
        last = now
        return now

    if ctx.streamed:
        ctx.on_change(changed)
    return first
