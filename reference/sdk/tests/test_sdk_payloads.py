"""The Any conventions of spec/04-payloads.md, with Hypothesis round trips."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from cloudstate.tck.model import eventsourced_pb2
from cloudstate_sdk import PayloadError, pack, pack_json, unpack
from google.protobuf import any_pb2, wrappers_pb2
from hypothesis import given
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


def test_message_type_url_and_round_trip() -> None:
    message = eventsourced_pb2.Persisted(value="x")
    packed = pack(message)
    assert packed.type_url == "type.googleapis.com/cloudstate.tck.model.Persisted"
    assert unpack(packed) == message


@pytest.mark.parametrize(
    ("value", "url"),
    [("s", "string"), (b"b", "bytes"), (7, "int64"), (1.5, "double"), (True, "bool")],
)
def test_primitive_type_urls(value: object, url: str) -> None:
    assert pack(value).type_url == f"p.cloudstate.io/{url}"


@pytest.mark.parametrize("value", ["", b"", 0, 0.0, False])
def test_default_primitives_encode_to_no_bytes(value: object) -> None:
    assert pack(value).value == b""


def test_primitive_bytes_are_field_one() -> None:
    assert pack("hi").value == b"\x0a\x02hi"
    assert pack(1).value == b"\x08\x01"
    assert pack(True).value == b"\x08\x01"


@given(st.text() | st.binary() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.booleans())
def test_primitive_round_trip(value: object) -> None:
    back = unpack(pack(value))
    assert back == value
    assert type(back) is type(value)


@given(st.floats())
def test_double_round_trip(value: float) -> None:
    back = unpack(pack(value))
    assert (math.isnan(back) and math.isnan(value)) or (
        back == value and math.copysign(1, back) == math.copysign(1, value)
    )


@given(st.text() | st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_equal_values_give_equal_bytes(value: object) -> None:
    assert pack(value).SerializeToString(deterministic=True) == pack(value).SerializeToString(deterministic=True)


def test_int_out_of_int64_range() -> None:
    with pytest.raises(PayloadError, match="int64"):
        pack(2**63)


@given(json_values.filter(lambda v: isinstance(v, dict | list) or v is None))
def test_json_round_trip_and_canonical_form(value: Any) -> None:
    packed = pack(value)
    assert packed.type_url == f"json.cloudstate.io/{type(value).__name__}"
    assert unpack(packed) == value
    text = wrappers_pb2.BytesValue.FromString(packed.value).value.decode()
    # Canonical: a fixed point of "sorted keys, no whitespace", so equal data gives equal bytes.
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert pack(json.loads(text)).value == packed.value


def test_json_sorts_keys_and_names_types() -> None:
    packed = pack_json({"b": 1, "a": [1, 2]}, type_name="JsonEvent")
    assert packed.type_url == "json.cloudstate.io/JsonEvent"
    assert wrappers_pb2.BytesValue.FromString(packed.value).value == b'{"a":[1,2],"b":1}'
    assert pack({"b": 1, "a": 2}).value == pack({"a": 2, "b": 1}).value


@pytest.mark.parametrize("value", [object(), {1, 2}, {"x": object()}, [float("nan")]])
def test_unpackable_values(value: object) -> None:
    with pytest.raises(PayloadError):
        pack(value)


@pytest.mark.parametrize(
    ("packed", "text"),
    [
        (any_pb2.Any(type_url="type.googleapis.com/no.such.Type"), "unknown message type 'no.such.Type'"),
        (any_pb2.Any(type_url="p.cloudstate.io/complex"), "unknown primitive"),
        (any_pb2.Any(type_url="nonsense"), "malformed type URL"),
        (any_pb2.Any(type_url="p.cloudstate.io/string", value=b"\xff\xff"), "cannot decode"),
        (any_pb2.Any(type_url="json.cloudstate.io/dict", value=b"\x0a\x01{"), "cannot decode"),
    ],
)
def test_unpack_errors(packed: any_pb2.Any, text: str) -> None:
    with pytest.raises(PayloadError, match=text):
        unpack(packed)


def test_an_any_is_a_payload_already() -> None:
    """pack passes an Any through instead of wrapping it (ANY-007/ANY-008 treat Any-typed payloads so)."""
    inner = pack_json({"a": 1}, "Thing")
    outer = pack(inner)
    assert outer == inner
    assert outer is not inner
    assert unpack(outer) == {"a": 1}


@pytest.mark.parametrize("name", ["", "a/b"])
def test_json_type_names_are_non_empty_without_slashes(name: str) -> None:
    """ANY-017."""
    with pytest.raises(PayloadError, match="JSON type name"):
        pack_json({}, name)
