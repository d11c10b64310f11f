"""Metadata: case-insensitive, ordered, repeated keys, str and bytes values."""

from __future__ import annotations

import pytest
from cloudstate import entity_pb2
from cloudstate_sdk import Metadata


def test_lookup_ignores_case_and_keeps_order() -> None:
    metadata = Metadata([("X-Id", "1"), ("x-id", "2"), ("bin-bin", b"\x00")])
    assert metadata.get("x-ID") == "1"
    assert metadata.get_all("X-ID") == ["1", "2"]
    assert metadata.get("missing", "d") == "d"
    assert "BIN-bin" in metadata
    assert "nope" not in metadata
    assert len(metadata) == 3
    assert list(metadata)[2] == ("bin-bin", b"\x00")


def test_proto_round_trip_skips_entries_without_value() -> None:
    proto = entity_pb2.Metadata()
    proto.entries.add(key="a", string_value="1")
    proto.entries.add(key="b", bytes_value=b"2")
    proto.entries.add(key="empty")
    metadata = Metadata.from_proto(proto)
    assert list(metadata) == [("a", "1"), ("b", b"2")]
    assert Metadata.from_proto(metadata.to_proto()) == metadata


def test_immutable_building_and_validation() -> None:
    base = Metadata({"a": "1"})
    extended = base.with_entry("b", "2")
    assert len(base) == 1
    assert len(extended) == 2
    assert extended != base
    assert not Metadata()
    assert Metadata(base) == base
    with pytest.raises(TypeError):
        Metadata([("a", 1)])  # type: ignore[list-item]
