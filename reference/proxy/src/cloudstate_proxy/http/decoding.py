"""Building a method's input message from an HTTP request (spec/13-http.md, HTTP-013 to HTTP-031, HTTP-038, HTTP-040).

The body comes first, then the query parameters (unless the body rule is
``*``), then the path variables, so that the path overrides the rest. All
values go through ``json_format`` with the services' descriptor pool, which
also resolves the ``@type`` of ``google.protobuf.Any`` values.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import descriptor_pool, json_format, message

from cloudstate_proxy.errors import InvalidRequest
from cloudstate_proxy.http import fieldpaths
from cloudstate_proxy.http.errors import UnsupportedMediaType
from cloudstate_proxy.http.float32 import clamp_float32
from cloudstate_proxy.http.rules import Binding


@dataclasses.dataclass(frozen=True)
class RequestParts:
    """What the transcoder takes from an HTTP request."""

    path_values: Mapping[str, str]  # decoded variable values by field path
    query: Sequence[tuple[str, str]] = ()  # decoded name/value pairs, in order
    body: bytes = b""
    content_type: str = ""  # the Content-Type header as sent


def decode_request(binding: Binding, parts: RequestParts) -> message.Message:
    """The input message for ``binding``; raises InvalidRequest (400) or UnsupportedMediaType (415)."""
    request = binding.input_class()
    if binding.body:
        _apply_body(binding, request, parts)
    if binding.body != "*":  # HTTP-018: with body "*" the query string is ignored
        _apply_query(binding, request, parts.query)
    _apply_path(binding, request, parts.path_values)
    return request


def _apply_body(binding: Binding, request: message.Message, parts: RequestParts) -> None:
    descriptor = binding.method.input_type
    field = None if binding.body == "*" else descriptor.fields_by_name[binding.body]
    if binding.raw_input:  # HTTP-038: raw bytes, no JSON
        http_body: Any = request if field is None else getattr(request, field.name)
        http_body.content_type = parts.content_type
        http_body.data = parts.body
        return
    if not parts.body:  # HTTP-021: no bytes is {} for a message, the default for anything else
        if field is not None and field.message_type is not None and not field.is_repeated:
            getattr(request, field.name).SetInParent()
        return
    _check_media_type(parts.content_type)
    value = _load_json(parts.body)
    if field is None and not isinstance(value, dict) and not descriptor.full_name.startswith("google.protobuf."):
        raise InvalidRequest(f"the request body must be a JSON object ({descriptor.full_name})")
    document = value if field is None else {field.name: value}
    _parse(clamp_float32(document, descriptor), request, binding.pool, "request body")


def _apply_query(binding: Binding, request: message.Message, query: Sequence[tuple[str, str]]) -> None:
    grouped: dict[str, list[str]] = {}
    for name, value in query:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        where = f"query parameter {name!r}"
        try:
            path = fieldpaths.resolve(binding.method.input_type, name, json_names=True)
        except fieldpaths.FieldPathError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        leaf = path[-1]
        problem = fieldpaths.leaf_problem(leaf, allow_repeated=True, allow_scalar_messages=True)
        if problem is not None:
            raise InvalidRequest(f"{where} {problem}; only scalar and repeated scalar fields can be set from a query")
        if not leaf.is_repeated and len(values) > 1:
            raise InvalidRequest(f"{where} occurs {len(values)} times, but its field is not repeated")
        try:
            converted = [fieldpaths.text_to_json(leaf, value) for value in values]
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        document = fieldpaths.nest(path, converted if leaf.is_repeated else converted[0])
        _parse(document, request, binding.pool, where)


def _apply_path(binding: Binding, request: message.Message, values: Mapping[str, str]) -> None:
    for name, text in values.items():
        path = binding.path_fields[name]
        parent = request
        for field in path[:-1]:
            parent = getattr(parent, field.name)  # created when absent (HTTP-013)
        leaf = path[-1]
        parent.ClearField(leaf.name)  # the path overrides the body and the query
        where = f"path variable {{{name}}}"
        try:
            value = fieldpaths.text_to_json(leaf, text)
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        _parse({leaf.name: value}, parent, binding.pool, where)


def _check_media_type(content_type: str) -> None:
    """HTTP-040: a JSON body must be declared ``application/json``, in UTF-8 when a charset is given."""
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        raise UnsupportedMediaType(f"the request body must be application/json, not {content_type or 'untyped'!r}")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedMediaType(f"the request body must be UTF-8 JSON, not {content_type!r}")


def _load_json(body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidRequest(f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidRequest("the request body nests JSON too deeply") from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _parse(document: Any, target: message.Message, pool: descriptor_pool.DescriptorPool, where: str) -> None:
    try:
        json_format.ParseDict(document, target, descriptor_pool=pool)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        first_line = str(exc).split("\n", 1)[0]  # json_format appends the list of every field name
        raise InvalidRequest(f"{where}: {first_line}") from None
