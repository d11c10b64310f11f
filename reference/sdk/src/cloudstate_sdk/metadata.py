"""Request and reply metadata: headers, and CloudEvents attributes of events.

Keys are compared without regard to case (gRPC and HTTP/2 deliver them in
lowercase anyway). A key may occur several times; order is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeAlias

from cloudstate import entity_pb2

MetadataValue: TypeAlias = str | bytes
MetadataLike: TypeAlias = "Metadata | Mapping[str, MetadataValue] | Iterable[tuple[str, MetadataValue]]"


class Metadata:
    """An immutable, ordered list of ``(key, value)`` entries; values are ``str`` or ``bytes``."""

    __slots__ = ("_entries",)

    def __init__(self, entries: MetadataLike = ()) -> None:
        if isinstance(entries, Metadata):
            items: list[tuple[str, MetadataValue]] = list(entries._entries)
        elif isinstance(entries, Mapping):
            items = list(entries.items())
        else:
            items = list(entries)
        for key, value in items:
            if not isinstance(key, str) or not isinstance(value, str | bytes):
                raise TypeError(f"metadata entries are (str, str | bytes) pairs, got ({key!r}, {value!r})")
        self._entries: tuple[tuple[str, MetadataValue], ...] = tuple(items)

    @classmethod
    def from_proto(cls, metadata: entity_pb2.Metadata) -> Metadata:
        """Read protocol metadata; entries without a value are skipped, as the protocol says."""
        entries: list[tuple[str, MetadataValue]] = []
        for entry in metadata.entries:
            kind = entry.WhichOneof("value")
            if kind == "string_value":
                entries.append((entry.key, entry.string_value))
            elif kind == "bytes_value":
                entries.append((entry.key, entry.bytes_value))
        return cls(entries)

    def to_proto(self) -> entity_pb2.Metadata:
        out = entity_pb2.Metadata()
        for key, value in self._entries:
            if isinstance(value, str):
                out.entries.add(key=key, string_value=value)
            else:
                out.entries.add(key=key, bytes_value=value)
        return out

    def get(self, key: str, default: MetadataValue | None = None) -> MetadataValue | None:
        """The first value of ``key``, or ``default``."""
        wanted = key.lower()
        return next((value for name, value in self._entries if name.lower() == wanted), default)

    def get_all(self, key: str) -> list[MetadataValue]:
        """Every value of ``key``, in order."""
        wanted = key.lower()
        return [value for name, value in self._entries if name.lower() == wanted]

    def with_entry(self, key: str, value: MetadataValue) -> Metadata:
        """A copy with one more entry at the end."""
        return Metadata([*self._entries, (key, value)])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, MetadataValue]]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Metadata) and self._entries == other._entries

    def __hash__(self) -> int:
        return hash(self._entries)

    def __repr__(self) -> str:
        return f"Metadata({list(self._entries)!r})"
