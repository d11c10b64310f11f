"""Actions: stateless methods with no entity, key or stored state.

    greeter = Action("com.example.Greeter")

    @greeter.unary("Greet")
    async def greet(request: Hello, ctx: ActionContext) -> Greeting: ...

    @greeter.stream_out("Countdown")
    async def countdown(request: Start, ctx: ActionContext) -> AsyncIterator[Tick]: ...

Each decorator checks that the method has that streaming shape;
``@action.handler("M")`` takes whatever shape the method has. Handlers take
``(input, context)``. For client-streaming methods the input is the stream of
request messages: an async iterator for ``async def`` handlers, a plain
iterator (over every message, available once the client has finished) for
plain functions. Unary and client-streaming handlers return one result;
server-streaming handlers return (or are) an iterator or async iterator of
results. A result is a message, Reply, Forward, Failure or None (no reply).
"""

from __future__ import annotations

from collections.abc import Callable

from cloudstate import entity_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from cloudstate_sdk._definition import Definition, HandlerT, shape
from cloudstate_sdk.context import CommandContext
from cloudstate_sdk.errors import DefinitionError
from cloudstate_sdk.metadata import Metadata

_SHAPE_NAMES = {
    "unary": "unary",
    "stream_in": "client-streaming",
    "stream_out": "server-streaming",
    "streamed": "bidirectionally streaming",
}


class Action(Definition):
    """The definition of an action serving one gRPC service."""

    entity_type = "cloudstate.action.ActionProtocol"
    kind = "action"

    def __init__(self, service: ServiceDescriptor | str) -> None:
        super().__init__(service)

    def _shape_problem(self, method: MethodDescriptor) -> str | None:
        return None  # actions serve every streaming shape

    def _decorator(self, name: str, wanted: str | None) -> Callable[[HandlerT], HandlerT]:
        def register(fn: HandlerT) -> HandlerT:
            method = self.service.methods_by_name.get(name)
            if method is not None and wanted is not None and shape(method) != wanted:
                actual = shape(method)
                raise DefinitionError(
                    f"{self.service_name}/{name} is {_SHAPE_NAMES[actual]}, not {_SHAPE_NAMES[wanted]}; "
                    f"register it with @action.{actual}({name!r}) or @action.handler({name!r})"
                )
            self._register(name, fn, ("input", "context"))
            return fn

        return register

    def unary(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register ``(request, context) -> result`` for a unary method."""
        return self._decorator(name, "unary")

    def stream_in(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register ``(requests, context) -> result`` for a client-streaming method."""
        return self._decorator(name, "stream_in")

    def stream_out(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register ``(request, context) -> iterator of results`` for a server-streaming method."""
        return self._decorator(name, "stream_out")

    def streamed(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register ``(requests, context) -> iterator of results`` for a bidirectionally streaming method."""
        return self._decorator(name, "streamed")

    def handler(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register a handler for method ``name``, whatever its streaming shape."""
        return self._decorator(name, None)

    def to_proto(self) -> entity_pb2.Entity:
        # Actions have no state, so no persistence id and no passivation.
        return entity_pb2.Entity(entity_type=self.entity_type, service_name=self.service_name)


class ActionContext(CommandContext):
    """The context of one action call."""

    def __init__(self, service_name: str, command_name: str, metadata: Metadata) -> None:
        super().__init__(command_name, metadata)
        self._service_name = service_name

    @property
    def service_name(self) -> str:
        """The full name of the called service."""
        return self._service_name
