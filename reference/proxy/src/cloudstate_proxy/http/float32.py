"""Accept, for ``float`` fields, every JSON number that rounds to a 32-bit float.

``json_format`` renders a float field with the shortest text that reads back
as the same 32-bit value, so the largest floats come out as ``3.4028235e+38``;
but when parsing a JSON *number* it refuses anything above the largest 32-bit
float as a double, so it would refuse its own output. Before parsing, values
that round to the largest float are replaced by exactly that float, walking the
JSON alongside the message descriptor. (Quoted numbers never hit that check.)
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor

_FLOAT_MAX = float.fromhex("0x1.fffffep+127")
# The largest double that still rounds to _FLOAT_MAX rather than to infinity (half an ulp above it).
_ROUNDS_TO_MAX = float.fromhex("0x1.ffffffp+127")


def clamp_float32(value: object, message: Descriptor) -> object:
    """``value`` (JSON for ``message``) with float fields' near-maximal numbers clamped."""
    if message.full_name == "google.protobuf.FloatValue":
        return _clamp(value)
    if not isinstance(value, dict) or message.full_name.startswith("google.protobuf."):
        return value  # other well-known types have no float field of their own
    fields = {**{f.json_name: f for f in message.fields}, **message.fields_by_name}
    return {key: _field(item, fields[key]) if key in fields else item for key, item in value.items()}


def _field(value: object, field: FieldDescriptor) -> object:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        entry = field.message_type.fields_by_name["value"]
        return {k: _single(v, entry) for k, v in value.items()} if isinstance(value, dict) else value
    if field.is_repeated and isinstance(value, list):
        return [_single(item, field) for item in value]
    return _single(value, field)


def _single(value: object, field: FieldDescriptor) -> object:
    if field.type == FieldDescriptor.TYPE_FLOAT:
        return _clamp(value)
    if field.message_type is not None:
        return clamp_float32(value, field.message_type)
    return value


def _clamp(value: object) -> object:
    if isinstance(value, float) and _FLOAT_MAX < abs(value) <= _ROUNDS_TO_MAX:
        return _FLOAT_MAX if value > 0 else -_FLOAT_MAX
    return value
