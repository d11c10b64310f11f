"""``cloudstate.EntityDiscovery``: telling the proxy what this user function serves."""

from __future__ import annotations

import logging
import platform
from collections.abc import Iterable, Sequence
from typing import Any

from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate_protocol import PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION, Compatibility, check_compatibility
from google.protobuf import descriptor_pb2, empty_pb2
from google.protobuf.descriptor import FileDescriptor

from cloudstate_sdk._definition import Definition
from cloudstate_sdk._version import LIBRARY_NAME, __version__

logger = logging.getLogger("cloudstate_sdk")


def file_descriptor_set(files: Iterable[FileDescriptor]) -> descriptor_pb2.FileDescriptorSet:
    """The given files and everything they import, each once, every file after its imports."""
    ordered: list[FileDescriptor] = []
    seen: set[str] = set()

    def visit(file: FileDescriptor) -> None:
        if file.name in seen:
            return
        seen.add(file.name)
        for dependency in file.dependencies:
            visit(dependency)
        ordered.append(file)

    for file in files:
        visit(file)
    out = descriptor_pb2.FileDescriptorSet()
    for file in ordered:
        # serialized_pb is the file exactly as compiled, options included.
        out.file.add().MergeFromString(file.serialized_pb)
    return out


def service_info(service_name: str = "", service_version: str = "") -> entity_pb2.ServiceInfo:
    runtime = f"{platform.python_implementation()} {platform.python_version()}"
    return entity_pb2.ServiceInfo(
        service_name=service_name,
        service_version=service_version,
        service_runtime=runtime,
        support_library_name=LIBRARY_NAME,
        support_library_version=__version__,
        protocol_major_version=PROTOCOL_MAJOR_VERSION,
        protocol_minor_version=PROTOCOL_MINOR_VERSION,
    )


def entity_spec(definitions: Sequence[Definition], info: entity_pb2.ServiceInfo) -> entity_pb2.EntitySpec:
    files = file_descriptor_set(definition.service.file for definition in definitions)
    return entity_pb2.EntitySpec(
        proto=files.SerializeToString(deterministic=True),
        entities=[definition.to_proto() for definition in definitions],
        service_info=info,
    )


class DiscoveryServicer(entity_pb2_grpc.EntityDiscoveryServicer):
    def __init__(self, spec: entity_pb2.EntitySpec) -> None:
        self._spec = spec

    async def discover(self, proxy: entity_pb2.ProxyInfo, context: Any) -> entity_pb2.EntitySpec:
        logger.info(
            "discovery from proxy %s %s (protocol %d.%d, entity types: %s)",
            proxy.proxy_name or "(unnamed)",
            proxy.proxy_version,
            proxy.protocol_major_version,
            proxy.protocol_minor_version,
            ", ".join(proxy.supported_entity_types) or "none",
        )
        version = check_compatibility(
            PROTOCOL_MAJOR_VERSION,
            PROTOCOL_MINOR_VERSION,
            proxy_major=proxy.protocol_major_version,
            proxy_minor=proxy.protocol_minor_version,
        )
        if version is not Compatibility.COMPATIBLE:
            logger.warning(
                "the proxy speaks protocol %d.%d, this SDK %d.%d; the proxy will probably refuse it",
                proxy.protocol_major_version,
                proxy.protocol_minor_version,
                PROTOCOL_MAJOR_VERSION,
                PROTOCOL_MINOR_VERSION,
            )
        missing = {e.entity_type for e in self._spec.entities} - set(proxy.supported_entity_types)
        if proxy.supported_entity_types and missing:
            logger.warning("the proxy does not support entity type(s): %s", ", ".join(sorted(missing)))
        return self._spec

    async def reportError(self, error: entity_pb2.UserFunctionError, context: Any) -> empty_pb2.Empty:
        logger.error("the proxy reported an error: %s", error.message)
        return empty_pb2.Empty()
