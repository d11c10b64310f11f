"""What entity and action definitions share: the service they serve, their
command handlers, the checks made when a handler is registered, and their
entry in discovery."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

from cloudstate import entity_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message

from cloudstate_sdk.calls import ServiceCallRef, find_method, resolve_service
from cloudstate_sdk.errors import DefinitionError

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def check_signature(fn: object, params: tuple[str, ...], what: str) -> None:
    """Raise DefinitionError unless ``fn`` can be called with ``len(params)`` positional arguments."""
    if not callable(fn):
        raise DefinitionError(f"{what} must be a function, got {fn!r}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # builtins and the like cannot be inspected; trust them
    try:
        signature.bind(*params)
    except TypeError:
        name = getattr(fn, "__qualname__", repr(fn))
        raise DefinitionError(
            f"{what} {name}{signature} must accept {len(params)} positional argument(s): ({', '.join(params)})"
        ) from None


def shape(method: MethodDescriptor) -> str:
    """The streaming shape of a method: unary, stream_in, stream_out or streamed."""
    return {
        (False, False): "unary",
        (True, False): "stream_in",
        (False, True): "stream_out",
        (True, True): "streamed",
    }[(bool(method.client_streaming), bool(method.server_streaming))]


def state_factory(initial_state: object) -> Callable[[str], Any]:
    """Turn ``initial_state`` into a function from entity id to a fresh state.

    A callable is called with no arguments when it allows that (``Cart``,
    ``dict``, ``lambda: ...``), otherwise with the entity id; any other value is
    deep-copied for each entity, so entities never share a mutable state.
    """
    if not callable(initial_state):
        return lambda _entity_id: copy.deepcopy(initial_state)
    factory: Callable[..., Any] = initial_state
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return lambda _entity_id: factory()
    for arguments in ((), ("entity_id",)):
        try:
            signature.bind(*arguments)
        except TypeError:
            continue
        return (lambda _entity_id: factory()) if not arguments else (lambda entity_id: factory(entity_id))
    raise DefinitionError(
        f"initial_state {factory!r} must be a value or a function taking no argument or the entity id"
    )


class Definition:
    """Base of EventSourcedEntity, ValueEntity and Action."""

    entity_type: ClassVar[str]
    kind: ClassVar[str]  # for messages: "event sourced entity", ...

    def __init__(
        self,
        service: ServiceDescriptor | str,
        *,
        persistence_id: str | None = None,
        passivation_timeout: timedelta | None = None,
    ) -> None:
        self.service: ServiceDescriptor = resolve_service(service)
        for method in self.service.methods:
            reason = self._shape_problem(method)
            if reason:
                raise DefinitionError(
                    f"a {self.kind} cannot serve {self.service.full_name}: method {method.name} is {reason}; "
                    f"serve it with another entity type or change the method"
                )
        if persistence_id is not None and (not isinstance(persistence_id, str) or not persistence_id):
            raise DefinitionError(f"persistence_id must be a non-empty string, got {persistence_id!r}")
        self.persistence_id: str = persistence_id or self.service.full_name
        if passivation_timeout is not None and (
            not isinstance(passivation_timeout, timedelta) or passivation_timeout <= timedelta(0)
        ):
            raise DefinitionError(f"passivation_timeout must be a positive timedelta, got {passivation_timeout!r}")
        self.passivation_timeout = passivation_timeout
        self._commands: dict[str, Callable[..., Any]] = {}

    @property
    def pool(self) -> DescriptorPool:
        """The descriptor pool of the service's file; payloads are decoded with it."""
        pool: DescriptorPool = self.service.file.pool
        return pool

    @property
    def service_name(self) -> str:
        """The full name of the served gRPC service."""
        return str(self.service.full_name)

    def _shape_problem(self, method: MethodDescriptor) -> str | None:
        """Why this entity type cannot serve ``method``, or None when it can."""
        if method.client_streaming or method.server_streaming:
            return "streaming (event sourced and value entities serve unary methods only)"
        return None

    def _register(self, name: str, fn: HandlerT, params: tuple[str, ...]) -> MethodDescriptor:
        method = find_method(self.service, name)
        if name in self._commands:
            raise DefinitionError(
                f"{self.service_name}/{name} already has a handler ({self._commands[name].__qualname__}); "
                "register exactly one handler per method"
            )
        check_signature(fn, params, f"the handler for {self.service_name}/{name}")
        self._commands[name] = fn
        return method

    def handler_for(self, name: str) -> tuple[MethodDescriptor, Callable[..., Any]] | None:
        """The method and its handler, or None when the service has no such method."""
        method = self.service.methods_by_name.get(name)
        handler = self._commands.get(name)
        return None if method is None or handler is None else (method, handler)

    def call_ref(self, method_name: str) -> ServiceCallRef:
        """A reference to one of this service's methods, for forwards and side effects."""
        return ServiceCallRef(find_method(self.service, method_name))

    def validate(self) -> None:
        """Check that the definition is complete; the server calls this when it is given the definition."""
        missing = [m.name for m in self.service.methods if m.name not in self._commands]
        if missing:
            raise DefinitionError(
                f"{self.kind} {self.service_name} has no handler for: {', '.join(missing)}; "
                "register one for every method of the service"
            )

    def to_proto(self) -> entity_pb2.Entity:
        """This definition's entry in the discovery answer."""
        entity = entity_pb2.Entity(
            entity_type=self.entity_type, service_name=self.service_name, persistence_id=self.persistence_id
        )
        if self.passivation_timeout is not None:
            millis = int(self.passivation_timeout / timedelta(milliseconds=1))
            entity.passivation_strategy.timeout.timeout = millis
        return entity

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.service_name!r})"


class EntityDefinition(Definition):
    """Base of the entity definitions, whose command handlers all take ``(state, command, context)``."""

    def command(self, name: str) -> Callable[[HandlerT], HandlerT]:
        """Register the handler of method ``name``: ``(state, command, context) -> reply``."""

        def register(fn: HandlerT) -> HandlerT:
            self._register(name, fn, ("state", "command", "context"))
            return fn

        return register


def empty_output(method: MethodDescriptor) -> Message:
    """The default instance of a method's output type."""
    message: Message = message_factory.GetMessageClass(method.output_type)()
    return message
