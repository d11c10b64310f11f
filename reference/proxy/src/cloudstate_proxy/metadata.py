"""Metadata between transports and the protocol (spec/07-metadata.md).

Inbound, request headers become ``cloudstate.Metadata`` entries for every
entity type and for actions; outbound, ``Reply.metadata`` becomes response
headers. Headers that belong to the transport itself (HTTP/2 pseudo-headers,
``grpc-*``, content type, hop-by-hop headers) never cross in either direction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cloudstate import entity_pb2

from cloudstate_proxy.invoking import MetadataEntry

_RESERVED = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "accept-encoding",
        "te",
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "trailer",
    }
)


def is_reserved(key: str) -> bool:
    """True for headers that belong to the transport and are never passed through."""
    lowered = key.lower()
    return lowered.startswith((":", "grpc-")) or lowered in _RESERVED


def to_proto(entries: Iterable[MetadataEntry]) -> entity_pb2.Metadata:
    """Request metadata as the protocol message, in transport order."""
    metadata = entity_pb2.Metadata()
    for entry in entries:
        if isinstance(entry.value, bytes):
            metadata.entries.add(key=entry.key, bytes_value=entry.value)
        else:
            metadata.entries.add(key=entry.key, string_value=entry.value)
    return metadata


def from_proto(metadata: entity_pb2.Metadata) -> tuple[MetadataEntry, ...]:
    """Metadata as entries, unchanged but for entries without a value (the metadata of forwards and effects)."""
    entries = []
    for entry in metadata.entries:
        which = entry.WhichOneof("value")
        if which is not None:
            value: str | bytes = entry.string_value if which == "string_value" else entry.bytes_value
            entries.append(MetadataEntry(entry.key, value))
    return tuple(entries)


# RFC 9110 token characters: what a header name may consist of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def response_headers(metadata: entity_pb2.Metadata) -> tuple[MetadataEntry, ...]:
    """Reply metadata that may become response headers (META-007, META-020, META-021), keys lower-cased."""
    headers = []
    for entry in from_proto(metadata):
        key = entry.key.lower()
        if is_reserved(key) or not _TOKEN.fullmatch(key):
            continue
        if isinstance(entry.value, str) and (key.endswith("-bin") or _BAD_VALUE.search(entry.value)):
            continue
        headers.append(MetadataEntry(key, entry.value))
    return tuple(headers)


def inbound(pairs: Iterable[tuple[str, str | bytes]]) -> tuple[MetadataEntry, ...]:
    """Request headers as metadata entries (keys lower-cased), minus reserved ones."""
    return tuple(MetadataEntry(key.lower(), value) for key, value in pairs if not is_reserved(key))
