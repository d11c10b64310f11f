"""A canonical, comment-free description of the wire contract.

The description names every message, field, enum value, extension and method
with exactly the facts that decide wire and JSON compatibility: full names,
field numbers, types, labels, oneof membership, streaming flags and the
options that change behaviour (entity keys, HTTP rules, eventing). Comments and
file-level options (java_package and the like) are left out on purpose: they
never reach the wire.

The committed pin (``proto/wire-contract-0.2.json``) is this description of
the protocol 0.2 files; a test regenerates it and fails on any difference, so a
renumbered field or a retyped message cannot slip through review.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

# Importing these registers the option extensions, so that option bytes are
# parsed into readable text (``[cloudstate.entity_key]: true``) instead of
# staying opaque unknown fields.
from google.api import annotations_pb2 as _http_annotations  # noqa: F401
from google.protobuf import descriptor_pb2, text_format

_FIELD_TYPES = {value: name[len("TYPE_") :].lower() for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()}
_LABELS = {value: name[len("LABEL_") :].lower() for name, value in descriptor_pb2.FieldDescriptorProto.Label.items()}


def _register_cloudstate_options() -> None:
    # Imported lazily: the generated modules import this package's siblings,
    # and the description must also work before they are generated.
    with contextlib.suppress(ImportError):  # only while bootstrapping the protos
        from cloudstate import entity_key_pb2, eventing_pb2, legacy_entity_key_pb2  # noqa: F401


def _options_text(options: Any, options_type: type[Any]) -> str | None:
    if not options.ByteSize():
        return None
    reparsed = options_type.FromString(options.SerializeToString(deterministic=True))
    text: str = text_format.MessageToString(reparsed, as_one_line=True, print_unknown_fields=True)
    return text.strip() or None


def _field(field: descriptor_pb2.FieldDescriptorProto, oneofs: list[str]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": field.name,
        "number": field.number,
        "type": _FIELD_TYPES[field.type],
        "label": _LABELS[field.label],
    }
    if field.type_name:
        described["type_name"] = field.type_name.lstrip(".")
    if field.HasField("oneof_index") and not field.proto3_optional:
        described["oneof"] = oneofs[field.oneof_index]
    if field.proto3_optional:
        described["proto3_optional"] = True
    if field.extendee:
        described["extendee"] = field.extendee.lstrip(".")
    options = _options_text(field.options, descriptor_pb2.FieldOptions)
    if options:
        described["options"] = options
    return described


def _enum(enum: descriptor_pb2.EnumDescriptorProto) -> dict[str, int]:
    return {value.name: value.number for value in enum.value}


def _messages(
    prefix: str, messages: Iterable[descriptor_pb2.DescriptorProto], out: dict[str, Any], enums: dict[str, Any]
) -> None:
    for message in messages:
        full_name = f"{prefix}.{message.name}" if prefix else message.name
        oneofs = [oneof.name for oneof in message.oneof_decl]
        described: dict[str, Any] = {"fields": [_field(f, oneofs) for f in message.field]}
        if message.extension:
            described["extensions"] = [_field(f, oneofs) for f in message.extension]
        if message.reserved_range:
            described["reserved"] = [[r.start, r.end - 1] for r in message.reserved_range]
        if message.options.map_entry:
            described["map_entry"] = True
        out[full_name] = described
        for enum in message.enum_type:
            enums[f"{full_name}.{enum.name}"] = _enum(enum)
        _messages(full_name, message.nested_type, out, enums)


def describe_file(file: descriptor_pb2.FileDescriptorProto) -> dict[str, Any]:
    """Describe one proto file's wire contract as plain JSON-able data."""
    _register_cloudstate_options()
    messages: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    _messages(file.package, file.message_type, messages, enums)
    for enum in file.enum_type:
        enums[f"{file.package}.{enum.name}"] = _enum(enum)
    services: dict[str, Any] = {}
    for service in file.service:
        methods: dict[str, Any] = {}
        for method in service.method:
            described: dict[str, Any] = {
                "input": method.input_type.lstrip("."),
                "output": method.output_type.lstrip("."),
                "client_streaming": method.client_streaming,
                "server_streaming": method.server_streaming,
            }
            options = _options_text(method.options, descriptor_pb2.MethodOptions)
            if options:
                described["options"] = options
            methods[method.name] = described
        services[f"{file.package}.{service.name}"] = {"methods": methods}
    described_file: dict[str, Any] = {"package": file.package, "messages": messages}
    if enums:
        described_file["enums"] = enums
    if services:
        described_file["services"] = services
    if file.extension:
        described_file["extensions"] = [_field(f, []) for f in file.extension]
    return described_file


def describe(descriptor_set: descriptor_pb2.FileDescriptorSet, prefix: str = "cloudstate/") -> dict[str, Any]:
    """Describe every file of ``descriptor_set`` whose name starts with ``prefix``."""
    return {
        file.name: describe_file(file)
        for file in sorted(descriptor_set.file, key=lambda f: f.name)
        if file.name.startswith(prefix)
    }


def dumps(description: dict[str, Any]) -> str:
    """Render a description the way the committed pin file is written."""
    return json.dumps(description, indent=1, sort_keys=True) + "\n"
