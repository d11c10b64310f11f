"""Rendering an output message as an HTTP body (spec/13-http.md, HTTP-032 to HTTP-039).

JSON is canonical proto3 JSON with JSON names, 64-bit integers as strings and
fields without presence left out while they hold their default (HTTP-034), on
one line. A ``google.api.HttpBody`` (the whole
output, or the field selected by ``response_body``) is sent as raw bytes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from google.protobuf import json_format, message

from cloudstate_proxy.http.rules import Binding

JSON = "application/json"
OCTET_STREAM = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class Payload:
    body: bytes
    content_type: str


def render(binding: Binding, output: message.Message) -> Payload:
    """The response body for ``output``: raw HttpBody data, or JSON."""
    http_body = raw_body(binding, output)
    if http_body is not None:
        return http_body
    return Payload(dump_json(json_value(binding, output)), JSON)


def raw_body(binding: Binding, output: message.Message) -> Payload | None:
    """The raw payload when the binding's response target is a ``google.api.HttpBody`` (HTTP-039), else None."""
    if not binding.raw_output:
        return None
    # A class built from the services' descriptors: no static attributes.
    http_body: Any = getattr(output, binding.response_body) if binding.response_body else output
    return Payload(bytes(http_body.data), str(http_body.content_type) or OCTET_STREAM)


def json_value(binding: Binding, output: message.Message) -> object:
    """The JSON value of the output, or of its ``response_body`` field (HTTP-037)."""
    if not binding.response_body:
        return _to_json(binding, output)
    field = binding.method.output_type.fields_by_name[binding.response_body]
    if field.message_type is not None and not field.is_repeated:
        return _to_json(binding, getattr(output, field.name))  # an unset message renders as its default
    whole = _to_json(binding, output)
    assert isinstance(whole, dict)
    if field.json_name in whole:
        return whole[field.json_name]
    # Left out because it holds its default; the field is the whole answer, so send that default ([], {}, 0, "", ...),
    # or null for an unset field with presence (a proto3 optional field).
    defaults = json_format.MessageToDict(
        type(output)(), always_print_fields_with_no_presence=True, descriptor_pool=binding.pool
    )
    return defaults.get(field.json_name)


def dump_json(value: object) -> bytes:
    """Compact JSON, one line (HTTP-035)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _to_json(binding: Binding, value: message.Message) -> object:
    return json_format.MessageToDict(value, descriptor_pool=binding.pool)
