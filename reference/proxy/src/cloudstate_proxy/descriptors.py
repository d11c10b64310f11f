"""The user function's services as the proxy sees them after discovery.

:func:`build_pool` turns ``EntitySpec.proto`` (a serialized
FileDescriptorSet) into a private descriptor pool; :class:`ServiceModel` and
:class:`MethodModel` are the validated, ready-to-serve view of one entity
service and its methods, with message classes and key fields resolved once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, FileDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError

from cloudstate_proxy.errors import DiscoveryError

TYPE_URL_PREFIX = "type.googleapis.com/"


def build_pool(proto: bytes) -> descriptor_pool.DescriptorPool:
    """A fresh pool holding every file of the descriptor set; DiscoveryError when it is unusable."""
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(proto).file
    except DecodeError as error:
        raise DiscoveryError(f"EntitySpec.proto is not a serialized FileDescriptorSet: {error}") from None
    pool = descriptor_pool.DescriptorPool()
    pending = {f.name: f for f in files}
    added: set[str] = set()

    def add(name: str, trail: tuple[str, ...]) -> None:
        # Files may come in any order; add each after the files it imports.
        if name in added:
            return
        if name not in pending:
            raise DiscoveryError(f"EntitySpec.proto lacks {name}, imported by {trail[-1]} (use --include_imports)")
        if name in trail:
            raise DiscoveryError(f"EntitySpec.proto has an import cycle: {' -> '.join((*trail, name))}")
        for dependency in pending[name].dependency:
            add(dependency, (*trail, name))
        try:
            pool.Add(pending[name])
        except (TypeError, ValueError) as error:
            raise DiscoveryError(f"EntitySpec.proto: file {name} cannot be loaded: {error}") from None
        added.add(name)

    for name in pending:
        add(name, ())
    return pool


def add_file(pool: descriptor_pool.DescriptorPool, file: FileDescriptor) -> None:
    """Add a file (and its imports) from the default pool, unless the pool has it already."""
    for dependency in file.dependencies:
        add_file(pool, dependency)
    try:
        pool.FindFileByName(file.name)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        pool.Add(proto)


@dataclasses.dataclass(frozen=True, eq=False)
class MethodModel:
    """One method of an entity service."""

    service: str
    name: str
    descriptor: MethodDescriptor
    input_class: type[message.Message]
    output_class: type[message.Message]
    key_fields: tuple[FieldDescriptor, ...]

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def client_streaming(self) -> bool:
        return bool(self.descriptor.client_streaming)

    @property
    def server_streaming(self) -> bool:
        return bool(self.descriptor.server_streaming)

    @property
    def output_type_url(self) -> str:
        return TYPE_URL_PREFIX + self.descriptor.output_type.full_name

    def pack(self, request: message.Message) -> any_pb2.Any:
        """The request as the Any a Command or ActionCommand carries."""
        return any_pb2.Any(type_url=TYPE_URL_PREFIX + request.DESCRIPTOR.full_name, value=request.SerializeToString())


@dataclasses.dataclass(frozen=True, eq=False)
class ServiceModel:
    """One service of the user function, with the entity type that serves it."""

    name: str
    entity_type: str
    persistence_id: str
    #: Seconds from Entity.passivation_strategy, or None for the proxy default.
    passivation_timeout: float | None
    descriptor: ServiceDescriptor
    methods: Mapping[str, MethodModel]
    #: True for entity types whose commands address an entity by key (all but actions).
    keyed: bool = True


def message_class(desc: Descriptor) -> type[message.Message]:
    return message_factory.GetMessageClass(desc)
