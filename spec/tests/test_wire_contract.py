"""The 0.2 wire contract is pinned: any change to a name, number, type, label,
oneof, streaming flag or behavioural option fails here, in both the .proto
sources and the committed generated code."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import cloudstate
import protos
import pytest
from cloudstate_protocol import contract
from google.protobuf import descriptor_pb2

PROTOCOL_FILES = {
    "cloudstate/entity.proto",
    "cloudstate/event_sourced.proto",
    "cloudstate/value_entity.proto",
    "cloudstate/crdt.proto",
    "cloudstate/action.proto",
    "cloudstate/entity_key.proto",
    "cloudstate/legacy_entity_key.proto",
    "cloudstate/eventing.proto",
}
TCK_MODEL_FILES = {
    f"cloudstate/tck/model/{name}.proto"
    for name in ["action", "eventsourced", "valueentity", "crdt", "eventlogeventing"]
}


@pytest.fixture(scope="module")
def pinned() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(protos.PIN.read_text())
    return loaded


def test_pin_covers_the_protocol_and_the_tck_model(pinned: dict[str, object]) -> None:
    assert set(pinned) == PROTOCOL_FILES | TCK_MODEL_FILES


def test_proto_sources_match_the_pin(tmp_path: Path, pinned: dict[str, object]) -> None:
    data = protos.build_descriptor_set(tmp_path / "set.binpb", source_info=False).read_bytes()
    described = contract.describe(descriptor_pb2.FileDescriptorSet.FromString(data))
    assert contract.dumps(described) == contract.dumps(pinned)


def _generated_files() -> descriptor_pb2.FileDescriptorSet:
    files = descriptor_pb2.FileDescriptorSet()
    for module in pkgutil.walk_packages(cloudstate.__path__, "cloudstate."):
        if module.name.endswith("_pb2"):
            imported = importlib.import_module(module.name)
            imported.DESCRIPTOR.CopyToProto(files.file.add())
    return files


def test_generated_code_matches_the_pin(pinned: dict[str, object]) -> None:
    assert contract.dumps(contract.describe(_generated_files())) == contract.dumps(pinned)


def test_known_wire_facts(pinned: dict[str, object]) -> None:
    # A few facts spelled out by hand, so the pin itself cannot drift unnoticed.
    entity = pinned["cloudstate/entity.proto"]
    assert isinstance(entity, dict)
    command = {f["name"]: f["number"] for f in entity["messages"]["cloudstate.Command"]["fields"]}
    assert command == {"entity_id": 1, "id": 2, "name": 3, "payload": 4, "streamed": 5, "metadata": 6}
    key = pinned["cloudstate/entity_key.proto"]
    assert isinstance(key, dict)
    assert key["extensions"][0]["number"] == 1080
    legacy = pinned["cloudstate/legacy_entity_key.proto"]
    assert isinstance(legacy, dict)
    assert legacy["extensions"][0]["number"] == 50002
    action = pinned["cloudstate/action.proto"]
    assert isinstance(action, dict)
    assert 1 not in {f["number"] for f in action["messages"]["cloudstate.action.ActionCommand"]["fields"]}
    crdt = pinned["cloudstate/crdt.proto"]
    assert isinstance(crdt, dict)
    assert 3 not in {f["number"] for f in crdt["messages"]["cloudstate.crdt.CrdtReply"]["fields"]}


def test_description_notices_a_renumbered_field(tmp_path: Path) -> None:
    data = protos.build_descriptor_set(tmp_path / "set.binpb", source_info=False).read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    before = contract.dumps(contract.describe(files))
    entity = next(f for f in files.file if f.name == "cloudstate/entity.proto")
    command = next(m for m in entity.message_type if m.name == "Command")
    command.field[1].number = 7
    assert contract.dumps(contract.describe(files)) != before
