"""Packing values into ``google.protobuf.Any`` and back (spec/04-payloads.md).

Three kinds of type URL are used on the wire:

- ``type.googleapis.com/<full name>``: a protobuf message, serialized
  deterministically;
- ``p.cloudstate.io/<scalar>``: a single scalar, encoded as a message whose
  field 1 holds the value (the same bytes as the matching
  ``google.protobuf.*Value`` wrapper), so a default value encodes to no bytes
  at all and equal values always give equal bytes;
- ``json.cloudstate.io/<type name>``: plain Python data as canonical JSON
  (sorted keys, no whitespace) in field 1 (bytes) of the value.

Python values map as: ``str`` -> string, ``bytes`` -> bytes, ``int`` -> int64,
``float`` -> double, ``bool`` -> bool; ``dict``, ``list``, ``tuple`` and
``None`` -> JSON. Stable bytes matter because CRDT sets and maps compare
elements by their serialized form.

A ``google.protobuf.Any`` is a payload already: :func:`pack` passes it through
instead of wrapping it in a second ``Any`` (spec ANY-007/ANY-008 deliver
``Any``-typed inputs and outputs the same way), which is how a handler emits
or replies with a value packed by :func:`pack_json` under a chosen type name.
"""

from __future__ import annotations

import json
from typing import Any as AnyValue

from google.protobuf import any_pb2, descriptor_pool, message_factory, wrappers_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import DecodeError, Message

from cloudstate_sdk.errors import PayloadError

MESSAGE_PREFIX = "type.googleapis.com/"
PRIMITIVE_PREFIX = "p.cloudstate.io/"
JSON_PREFIX = "json.cloudstate.io/"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Scalar name in the type URL -> the wrapper message with the same encoding.
_PRIMITIVES: dict[str, type[Message]] = {
    "string": wrappers_pb2.StringValue,
    "bytes": wrappers_pb2.BytesValue,
    "int32": wrappers_pb2.Int32Value,
    "int64": wrappers_pb2.Int64Value,
    "uint32": wrappers_pb2.UInt32Value,
    "uint64": wrappers_pb2.UInt64Value,
    "float": wrappers_pb2.FloatValue,
    "double": wrappers_pb2.DoubleValue,
    "bool": wrappers_pb2.BoolValue,
}

# Python type -> scalar name. bool comes first: it is a subclass of int.
_PYTHON_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),
    (str, "string"),
    (bytes, "bytes"),
    (int, "int64"),
    (float, "double"),
)

_JSON_TYPES = (dict, list, tuple, type(None))

ANY_TYPE_NAME = "google.protobuf.Any"


def canonical_json(value: object) -> bytes:
    """Encode plain data as canonical JSON: sorted keys, no whitespace, UTF-8."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise PayloadError(f"cannot encode {type(value).__name__} as JSON: {error}") from error
    return text.encode()


def pack(value: object) -> any_pb2.Any:
    """Pack a protobuf message, a scalar or plain JSON data into an ``Any``."""
    if isinstance(value, Message):
        name = value.DESCRIPTOR.full_name
        if name == ANY_TYPE_NAME:
            return any_pb2.Any(type_url=value.type_url, value=value.value)  # type: ignore[attr-defined]
        return any_pb2.Any(type_url=MESSAGE_PREFIX + name, value=value.SerializeToString(deterministic=True))
    for python_type, scalar in _PYTHON_SCALARS:
        if isinstance(value, python_type):
            if scalar == "int64" and not _INT64_MIN <= value <= _INT64_MAX:  # type: ignore[operator]
                raise PayloadError(f"integer {value} does not fit into int64")
            wrapper: AnyValue = _PRIMITIVES[scalar]()  # every wrapper has one field, `value`, of the scalar's type
            wrapper.value = value
            return any_pb2.Any(type_url=PRIMITIVE_PREFIX + scalar, value=wrapper.SerializeToString(deterministic=True))
    if isinstance(value, _JSON_TYPES):
        return pack_json(value)
    raise PayloadError(
        f"cannot pack a {type(value).__qualname__}: use a protobuf message, str, bytes, int, float, bool, "
        "or plain data (dict, list, None) for JSON"
    )


def pack_json(value: object, type_name: str | None = None) -> any_pb2.Any:
    """Pack plain data as JSON under ``json.cloudstate.io/<type_name>``.

    The type name defaults to the Python type's name (``dict``, ``list``, ...);
    give one explicitly when readers tell values apart by it.
    """
    name = type(value).__name__ if type_name is None else type_name
    if not name or "/" in name:
        raise PayloadError(f"a JSON type name must be non-empty and contain no '/', got {name!r}")
    wrapper = wrappers_pb2.BytesValue(value=canonical_json(value))
    return any_pb2.Any(type_url=JSON_PREFIX + name, value=wrapper.SerializeToString(deterministic=True))


def unpack(payload: any_pb2.Any, *, pool: DescriptorPool | None = None) -> AnyValue:
    """Unpack an ``Any`` packed by :func:`pack` (or by any other Cloudstate library).

    Message types are looked up in ``pool`` (the default descriptor pool, which
    holds every imported generated module, when not given).
    """
    type_url = payload.type_url
    try:
        if type_url.startswith(PRIMITIVE_PREFIX):
            wrapper_type = _PRIMITIVES.get(type_url[len(PRIMITIVE_PREFIX) :])
            if wrapper_type is None:
                raise PayloadError(f"unknown primitive type URL {type_url!r}")
            return wrapper_type.FromString(payload.value).value  # type: ignore[attr-defined]
        if type_url.startswith(JSON_PREFIX):
            return json.loads(wrappers_pb2.BytesValue.FromString(payload.value).value)
        if "/" not in type_url:
            raise PayloadError(f"malformed type URL {type_url!r}")
        name = type_url.rsplit("/", 1)[1]
        try:
            descriptor = (pool or descriptor_pool.Default()).FindMessageTypeByName(name)
        except KeyError:
            raise PayloadError(
                f"unknown message type {name!r}: import the generated module that defines it before unpacking"
            ) from None
        return message_factory.GetMessageClass(descriptor).FromString(payload.value)
    except (DecodeError, ValueError) as error:
        if isinstance(error, PayloadError):
            raise
        raise PayloadError(f"cannot decode a payload of type {type_url!r}: {error}") from error


def type_name_of(payload: any_pb2.Any) -> str:
    """The message name a type URL refers to (the part after the last ``/``)."""
    return payload.type_url.rsplit("/", 1)[-1]
