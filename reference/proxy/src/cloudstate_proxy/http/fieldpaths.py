"""Field paths of request messages, and the text-to-JSON conversion of path and query values.

Values from a URL (path variables, query parameters) are turned into the JSON
value the canonical proto3 JSON mapping expects for the target field, and then
parsed by ``google.protobuf.json_format``: one parser, one set of rules for
ranges, enums, base64 and well-known types (spec/13-http.md, HTTP-014).
"""

from __future__ import annotations

import re

from google.protobuf.descriptor import Descriptor, FieldDescriptor

HTTP_BODY = "google.api.HttpBody"

# Message types whose JSON form is a single scalar: a query parameter may target them like a scalar field.
_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
SCALAR_MESSAGES = _WRAPPERS | {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}

_INTEGER = re.compile(r"-?[0-9]+")
# Standard or URL-safe base64, padding optional; json_format alone would skip stray characters.
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2,3})?={0,2}")


class FieldPathError(ValueError):
    """A field path that does not resolve on a message type."""


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def is_http_body(descriptor: Descriptor | None) -> bool:
    return descriptor is not None and descriptor.full_name == HTTP_BODY


def find_field(message: Descriptor, name: str, *, json_names: bool) -> FieldDescriptor | None:
    field = message.fields_by_name.get(name)
    if field is None and json_names:
        field = next((f for f in message.fields if f.json_name == name), None)
    return field


def resolve(message: Descriptor, path: str, *, json_names: bool = False) -> tuple[FieldDescriptor, ...]:
    """The fields along ``path`` (dot-separated); every component but the last must be a singular message field."""
    fields: list[FieldDescriptor] = []
    current = message
    for name in path.split("."):
        if fields:
            if fields[-1].is_repeated:
                raise FieldPathError(f"'{_join(fields)}' is repeated, so '{path}' cannot go through it")
            if fields[-1].message_type is None:
                raise FieldPathError(f"'{_join(fields)}' is not a message field, so '{path}' cannot go through it")
            current = fields[-1].message_type
        field = find_field(current, name, json_names=json_names)
        if field is None:
            raise FieldPathError(f"{current.full_name} has no field '{name}'")
        fields.append(field)
    return tuple(fields)


def leaf_problem(field: FieldDescriptor, *, allow_repeated: bool, allow_scalar_messages: bool) -> str | None:
    """Why ``field`` cannot take a value from URL text, or None when it can."""
    if is_map(field):
        return "is a map field"
    if field.is_repeated and not allow_repeated:
        return "is a repeated field"
    if field.message_type is not None:
        if field.is_repeated:
            return "is a repeated message field"
        if not (allow_scalar_messages and field.message_type.full_name in SCALAR_MESSAGES):
            return "is a message field"
    return None


def text_to_json(field: FieldDescriptor, text: str) -> object:
    """The proto3 JSON value that ``text`` stands for in ``field``; raises ValueError when no value fits.

    Numbers stay strings (the JSON mapping accepts quoted numbers for every
    numeric type, with range checks); only booleans and enum numbers need a
    different JSON type.
    """
    kind = field.type
    if field.message_type is not None:  # a wrapper, Timestamp, Duration or FieldMask: parse as the wrapped value
        inner = field.message_type.fields_by_name.get("value")
        if inner is None:
            return text
        kind = inner.type
    if kind == FieldDescriptor.TYPE_BOOL:
        if text not in ("true", "false"):
            raise ValueError(f"expected true or false, got {text!r}")
        return text == "true"
    if kind == FieldDescriptor.TYPE_BYTES and not _BASE64.fullmatch(text):
        raise ValueError(f"expected base64, got {text!r}")
    if kind == FieldDescriptor.TYPE_ENUM and _INTEGER.fullmatch(text):
        return int(text)
    return text


def nest(fields: tuple[FieldDescriptor, ...], value: object) -> dict[str, object]:
    """``{"a": {"b": value}}`` for the field path a.b, in protobuf field names."""
    result: object = value
    for field in reversed(fields):
        result = {field.name: result}
    assert isinstance(result, dict)
    return result


def _join(fields: list[FieldDescriptor]) -> str:
    return ".".join(f.name for f in fields)
