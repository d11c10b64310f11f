"""Replicated states survive the store's encoding byte for byte, and anything else is refused."""

from __future__ import annotations

import json

import pytest
from cloudstate import crdt_pb2 as c
from cloudstate_proxy.crdt import TOMBSTONE, CorruptState, apply_delta, decode, encode
from crdt_strategies import KINDS, Op, ops, run, unhurried
from google.protobuf import any_pb2
from hypothesis import given


@unhurried
@given(ops(KINDS, deletes=True))
def test_states_round_trip_and_encode_stably(operations: list[Op]) -> None:
    for state in run(operations).history:
        data = encode(state)
        assert decode(data) == state
        assert encode(decode(data)) == data


def test_the_encoding_is_versioned_json_with_byte_exact_payloads() -> None:
    payload = any_pb2.Any(type_url="p.cloudstate.io/bytes", value=b"\x00\xff")
    state = apply_delta(None, "r", c.CrdtDelta(gset=c.GSetDelta(added=[payload])), 0)
    assert json.loads(encode(state)) == {
        "format": 1,
        "state": {"type": "gset", "elements": [["p.cloudstate.io/bytes", "AP8="]]},
    }
    assert decode(encode(TOMBSTONE)) == TOMBSTONE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": 2, "state": {"type": "tombstone"}}',
        b'{"format": 1}',
        b'{"format": 1, "state": {"type": "hyperloglog"}}',
        b'{"format": 1, "state": {"type": "gcounter", "counts": {"a": "1"}}}',
        b'{"format": 1, "state": {"type": "gcounter", "counts": {"a": true}}}',
        b'{"format": 1, "state": {"type": "flag", "on": 1}}',
        b'{"format": 1, "state": {"type": "gset", "elements": [["t", "not base64!"]]}}',
        b'{"format": 1, "state": {"type": "orset", "entries": [[["t", ""]]], "context": {}}}',
        b'{"format": 1, "state": {"type": "ormap", "entries": [[["t", ""], [[["a", 1], {"type": "tombstone"}]]]],'
        b' "context": {}}}',
    ],
)
def test_anything_else_is_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptState):
        decode(data)
