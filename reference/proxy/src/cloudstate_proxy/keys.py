"""Entity keys (spec/03-entity-keys.md): which fields form the entity id, and how it is rendered.

Key fields are the input message's fields marked ``cloudstate.entity_key``
(1080) or ``cloudstate.legacy_entity_key`` (50002), in field-number order.
Only singular string, integer and bool fields may be keys. The id is each
value rendered as text (integers in decimal, bools as true/false), joined
with "-"; a command whose key fields all hold their default has no key.
"""

from __future__ import annotations

from cloudstate import entity_key_pb2, legacy_entity_key_pb2
from google.protobuf import descriptor, message

from cloudstate_proxy.errors import MissingEntityKey

_FD = descriptor.FieldDescriptor
_INTEGERS = frozenset(
    {
        _FD.TYPE_INT32,
        _FD.TYPE_INT64,
        _FD.TYPE_UINT32,
        _FD.TYPE_UINT64,
        _FD.TYPE_SINT32,
        _FD.TYPE_SINT64,
        _FD.TYPE_FIXED32,
        _FD.TYPE_FIXED64,
        _FD.TYPE_SFIXED32,
        _FD.TYPE_SFIXED64,
    }
)
_KEY_TYPES = _INTEGERS | {_FD.TYPE_STRING, _FD.TYPE_BOOL}


def is_key_field(field: descriptor.FieldDescriptor) -> bool:
    options = field.GetOptions()
    return bool(
        options.Extensions[entity_key_pb2.entity_key] or options.Extensions[legacy_entity_key_pb2.legacy_entity_key]
    )


def key_fields(message_type: descriptor.Descriptor) -> tuple[descriptor.FieldDescriptor, ...]:
    """The key fields of a message type, in field-number order."""
    return tuple(sorted((f for f in message_type.fields if is_key_field(f)), key=lambda f: f.number))


def key_field_problem(field: descriptor.FieldDescriptor) -> str | None:
    """Why a field cannot be a key field, or None when it can."""
    if field.is_repeated:
        return f"key field {field.full_name} is repeated (a key must be a single string, integer or bool)"
    if field.type not in _KEY_TYPES:
        return f"key field {field.full_name} is not a string, integer or bool field"
    return None


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def entity_id(request: message.Message, fields: tuple[descriptor.FieldDescriptor, ...]) -> str:
    """The entity id a request addresses; MissingEntityKey when every key field holds its default."""
    values = [getattr(request, field.name) for field in fields]
    if not any(value != field.default_value for value, field in zip(values, fields, strict=True)):
        names = ", ".join(field.name for field in fields) or "(none declared)"
        raise MissingEntityKey(f"the request for {request.DESCRIPTOR.full_name} has no entity key: set {names}")
    return "-".join(_render(value) for value in values)
