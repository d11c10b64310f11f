"""Set elements, map keys and register values: `Any` payloads compared by type URL and bytes.

The proxy never decodes what a user function puts in a CRDT; two payloads are
the same element exactly when their type URLs and value bytes are equal
(ANY-022). An :data:`Element` is that pair, which also gives every collection
of elements a total, stable order for deterministic deltas and encodings.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import any_pb2

Element = tuple[str, bytes]


def element_of(payload: any_pb2.Any) -> Element:
    return (payload.type_url, payload.value)


def to_any(element: Element) -> any_pb2.Any:
    return any_pb2.Any(type_url=element[0], value=element[1])


def to_anys(elements: Iterable[Element]) -> list[any_pb2.Any]:
    """Payloads in ascending element order, so equal sets always give equal messages."""
    return [to_any(e) for e in sorted(elements)]
