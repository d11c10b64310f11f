"""What every handler's context offers: the command, its metadata, side effects,
forwarding and failing. Entity types add their own parts in their modules."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NoReturn

from google.protobuf.descriptor import Descriptor

from cloudstate_sdk.calls import Effect, ServiceCall
from cloudstate_sdk.errors import _FailCommand
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Forward, Outcome, resolve


class CommandContext:
    """The context of one command (or, for actions, one call)."""

    def __init__(self, command_name: str, metadata: Metadata) -> None:
        self._command_name = command_name
        self._metadata = metadata
        self._effects: list[Effect] = []
        self._forward: Forward | None = None

    @property
    def command_name(self) -> str:
        """The name of the invoked method, as declared in the service (e.g. ``"AddItem"``)."""
        return self._command_name

    @property
    def metadata(self) -> Metadata:
        """The request's metadata (client headers, or a forward's or side effect's metadata)."""
        return self._metadata

    def effect(self, call: ServiceCall, *, synchronous: bool = False) -> None:
        """Ask the proxy to make ``call`` on behalf of this command.

        Synchronous effects run, in order, before the reply reaches the client;
        asynchronous ones start after it. Results and failures are ignored.
        """
        if not isinstance(call, ServiceCall):
            raise TypeError(f"effect() takes a ServiceCall (from ServiceCallRef.create_call), not {call!r}")
        self._effects.append(Effect(call, synchronous))

    def forward(self, call: ServiceCall) -> Forward:
        """Let ``call`` produce the answer instead of replying; return the result from the handler or return None."""
        if not isinstance(call, ServiceCall):
            raise TypeError(f"forward() takes a ServiceCall (from ServiceCallRef.create_call), not {call!r}")
        self._forward = Forward(call)
        return self._forward

    def fail(self, description: str) -> NoReturn:
        """Fail the command for the client with ``description``; the handler stops here."""
        raise _FailCommand(description)

    def _take(self) -> tuple[list[Effect], Forward | None]:
        """Hand over (and forget) the effects and forward recorded so far."""
        effects, forward = self._effects, self._forward
        self._effects, self._forward = [], None
        return effects, forward


class EntityContext(CommandContext):
    """The context of a command for an entity (event sourced or value)."""

    def __init__(self, entity_id: str, command_id: int, command_name: str, metadata: Metadata) -> None:
        super().__init__(command_name, metadata)
        self._entity_id = entity_id
        self._command_id = command_id

    @property
    def entity_id(self) -> str:
        """The id of the entity the command is for."""
        return self._entity_id

    @property
    def command_id(self) -> int:
        """The command's id on the entity's stream (1, 2, ...)."""
        return self._command_id


async def run_handler(
    handler: Callable[..., Any], args: tuple[Any, ...], context: CommandContext, output_type: Descriptor, where: str
) -> Outcome:
    """Call a handler (sync or async) and resolve what it did into an Outcome.

    The outcome carries the side effects the handler recorded, also with a
    failure (actions keep them; entity runtimes drop them). Exceptions other
    than ``context.fail()`` propagate.
    """
    try:
        result = handler(*args)
        if inspect.isawaitable(result):
            result = await result
        effects, forward = context._take()
        outcome = resolve(result, forward, output_type, where)
    except _FailCommand as failed:
        effects, _ = context._take()
        outcome = Outcome(failure=failed.description)
    outcome.effects = effects
    return outcome
