"""Cloudstate protocol 0.2 as a Python package.

The generated message and gRPC modules live in the ``cloudstate`` package, at
the import paths that the ``.proto`` files dictate (``cloudstate.entity_pb2``,
``cloudstate.tck.model.eventsourced_pb2``, ...), so that user protos which
import ``cloudstate/entity_key.proto`` compile to code that imports cleanly.

This package holds what is written by hand: the protocol version, where the
``.proto`` sources and the requirement registry are, and helpers to read them.
"""

from cloudstate_protocol._paths import proto_root, requirements_path
from cloudstate_protocol.version import (
    ENTITY_TYPES,
    PROTOCOL_MAJOR_VERSION,
    PROTOCOL_MINOR_VERSION,
    Compatibility,
    check_compatibility,
)

__all__ = [
    "ENTITY_TYPES",
    "PROTOCOL_MAJOR_VERSION",
    "PROTOCOL_MINOR_VERSION",
    "Compatibility",
    "check_compatibility",
    "proto_root",
    "requirements_path",
]
