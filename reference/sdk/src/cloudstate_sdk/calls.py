"""References to methods of this user function, for forwards and side effects.

A :class:`ServiceCallRef` names one method (built from its method descriptor,
so a typo fails at import time); :meth:`ServiceCallRef.create_call` binds a
request message to it, giving a :class:`ServiceCall` that a handler passes to
``context.forward()`` or ``context.effect()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudstate import entity_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from cloudstate_sdk.errors import DefinitionError, PayloadError
from cloudstate_sdk.metadata import Metadata, MetadataLike
from cloudstate_sdk.payloads import pack


def resolve_service(service: ServiceDescriptor | str) -> ServiceDescriptor:
    """A service descriptor, given itself or its full name in the default pool."""
    if isinstance(service, ServiceDescriptor):
        return service
    if not isinstance(service, str):
        raise DefinitionError(
            f"service must be a ServiceDescriptor (e.g. my_pb2.DESCRIPTOR.services_by_name['MyService']) "
            f"or a full service name, got {service!r}"
        )
    try:
        return descriptor_pool.Default().FindServiceByName(service)
    except KeyError:
        raise DefinitionError(
            f"service {service!r} is not in the descriptor pool: import its generated *_pb2 module first, "
            "or pass the ServiceDescriptor itself"
        ) from None


def find_method(service: ServiceDescriptor, name: str) -> MethodDescriptor:
    """The method ``name`` of ``service``, or a DefinitionError listing the methods there are."""
    method = service.methods_by_name.get(name)
    if method is None:
        known = ", ".join(sorted(service.methods_by_name)) or "none"
        raise DefinitionError(f"service {service.full_name} has no method {name!r} (its methods: {known})")
    return method


@dataclass(frozen=True, repr=False)
class ServiceCallRef:
    """One method of a service served by this user function."""

    method: MethodDescriptor

    def __repr__(self) -> str:
        return f"ServiceCallRef({self.service_name}/{self.method_name})"

    @classmethod
    def for_method(cls, service: ServiceDescriptor | str, method_name: str) -> ServiceCallRef:
        """The reference to ``service``'s method ``method_name``."""
        return cls(find_method(resolve_service(service), method_name))

    @property
    def service_name(self) -> str:
        return str(self.method.containing_service.full_name)

    @property
    def method_name(self) -> str:
        return str(self.method.name)

    def create_call(self, message: Message, metadata: MetadataLike | None = None) -> ServiceCall:
        """Bind a request to this method. The message must be of the method's input type."""
        expected = self.method.input_type.full_name
        if not isinstance(message, Message) or message.DESCRIPTOR.full_name != expected:
            raise PayloadError(
                f"{self.service_name}/{self.method_name} takes a {expected}, not {type(message).__qualname__}"
            )
        return ServiceCall(self, message, Metadata(metadata or ()))


@dataclass(frozen=True)
class ServiceCall:
    """A method reference together with the request to send it."""

    ref: ServiceCallRef
    message: Message
    metadata: Metadata = field(default_factory=Metadata)

    def to_forward(self) -> entity_pb2.Forward:
        forward = entity_pb2.Forward(
            service_name=self.ref.service_name, command_name=self.ref.method_name, payload=pack(self.message)
        )
        if self.metadata:
            forward.metadata.CopyFrom(self.metadata.to_proto())
        return forward

    def to_side_effect(self, synchronous: bool) -> entity_pb2.SideEffect:
        effect = entity_pb2.SideEffect(
            service_name=self.ref.service_name,
            command_name=self.ref.method_name,
            payload=pack(self.message),
            synchronous=synchronous,
        )
        if self.metadata:
            effect.metadata.CopyFrom(self.metadata.to_proto())
        return effect


@dataclass(frozen=True)
class Effect:
    """A side effect a handler asked for: a call, run before (synchronous) or after the reply."""

    call: ServiceCall
    synchronous: bool = False

    def to_proto(self) -> entity_pb2.SideEffect:
        return self.call.to_side_effect(self.synchronous)
