"""HTTP headers to call metadata and reply metadata to HTTP headers (spec/07-metadata.md).

The rules shared with gRPC (reserved headers, valid names and values) live in
:mod:`cloudstate_proxy.metadata`; this module adds what is particular to
HTTP/1.1: a ``-bin`` request header arrives as base64 text and becomes a bytes
entry (META-010, META-013), and bytes entries of a reply have no HTTP form, so
they are dropped (META-019).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from multidict import CIMultiDictProxy

from cloudstate_proxy import metadata as shared
from cloudstate_proxy.errors import InvalidRequest
from cloudstate_proxy.invoking import MetadataEntry


def request_metadata(headers: CIMultiDictProxy[str]) -> tuple[MetadataEntry, ...]:
    """One entry per non-reserved header value, in order; InvalidRequest for a ``-bin`` header that is not base64."""
    entries: list[MetadataEntry] = []
    for name, value in headers.items():
        if shared.is_reserved(name):
            continue
        key = name.lower()
        entries.append(MetadataEntry(key, _decode_binary(key, value) if key.endswith("-bin") else value))
    return tuple(entries)


def response_headers(metadata: Iterable[MetadataEntry]) -> Sequence[tuple[str, str]]:
    """The response headers for reply metadata: the string entries that may be sent (META-018 to META-021)."""
    allowed = shared.response_headers(shared.to_proto(metadata))
    return [(entry.key, entry.value) for entry in allowed if isinstance(entry.value, str)]


def _decode_binary(key: str, value: str) -> bytes:
    text = value.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)  # gRPC senders may omit the padding
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"header {key!r} must hold base64, as every '-bin' header does") from None
