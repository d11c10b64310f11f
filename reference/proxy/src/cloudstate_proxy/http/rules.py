"""Bindings built from ``google.api.http`` rules, validated when the app is built (spec/13-http.md, HTTP-005 to
HTTP-008 and HTTP-055 to HTTP-064).

A binding is one HTTP method and one path template for one gRPC method, with
its body and response-body rules. Every problem is an :class:`HttpRuleError`
naming the service, the method and the rule, raised before anything is served.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor

from cloudstate_proxy.http import fieldpaths
from cloudstate_proxy.http.errors import HttpRuleError
from cloudstate_proxy.http.templates import PathTemplate, TemplateSyntaxError, parse_template

ANY_METHOD = "*"  # the HTTP method of a custom binding of kind "*"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP method name (RFC 9110 token)
_PATTERNS = ("get", "put", "post", "delete", "patch")


@dataclasses.dataclass(frozen=True, eq=False)
class Binding:
    method: MethodDescriptor
    http_method: str  # upper-case for the standard patterns; a custom kind as written; "*" for any method
    template: PathTemplate
    body: str  # "", "*" or a top-level field name of the input message
    response_body: str  # "" or a top-level field name of the output message
    rule: str  # how the rule reads, for messages
    path_fields: Mapping[str, tuple[FieldDescriptor, ...]]  # each variable's field path, resolved
    input_class: type[message.Message]
    output_class: type[message.Message]

    @property
    def name(self) -> str:
        return f"{self.method.containing_service.full_name}.{self.method.name}"

    @property
    def pool(self) -> descriptor_pool.DescriptorPool:
        """The pool of the services' descriptors, which resolves the types inside ``google.protobuf.Any``."""
        return self.method.containing_service.file.pool

    @property
    def raw_input(self) -> bool:
        """Whether the body target is a ``google.api.HttpBody``, which takes the raw request body."""
        if self.body in ("", "*"):
            return self.body == "*" and fieldpaths.is_http_body(self.method.input_type)
        return fieldpaths.is_http_body(self.method.input_type.fields_by_name[self.body].message_type)

    @property
    def raw_output(self) -> bool:
        """Whether the response target is a ``google.api.HttpBody``, sent as raw bytes."""
        if not self.response_body:
            return fieldpaths.is_http_body(self.method.output_type)
        field = self.method.output_type.fields_by_name[self.response_body]
        return not field.is_repeated and fieldpaths.is_http_body(field.message_type)

    def allows(self, http_method: str) -> bool:
        return self.http_method in (ANY_METHOD, http_method)


def http_rule(method: MethodDescriptor) -> Any | None:
    """The method's ``google.api.http`` option (a ``google.api.HttpRule``), or None."""
    # Re-parse the options: descriptors from a pool built at run time may hold the extension as unknown bytes.
    options = descriptor_pb2.MethodOptions.FromString(method.GetOptions().SerializeToString())
    if not options.HasExtension(annotations_pb2.http):
        return None
    return options.Extensions[annotations_pb2.http]


def streaming_rule_warnings(services: Iterable[ServiceDescriptor]) -> list[str]:
    """One message per ``google.api.http`` rule on a method that is never served over HTTP (HTTP-008)."""
    return [
        f"{service.full_name}.{method.name} streams its requests, so its google.api.http rule is ignored"
        for service in services
        for method in service.methods
        if method.client_streaming and http_rule(method) is not None
    ]


def collect_bindings(services: Iterable[ServiceDescriptor]) -> list[Binding]:
    """Every binding of every unary and server-streaming method; raises HttpRuleError on any invalid rule."""
    bindings = [b for service in services for method in service.methods for b in _method_bindings(method)]
    _check_conflicts(bindings)
    return bindings


def _method_bindings(method: MethodDescriptor) -> list[Binding]:
    if method.client_streaming:
        return []  # HTTP-007: not even a default binding
    rule = http_rule(method)
    if rule is None:
        path = f"/{method.containing_service.full_name}/{method.name}"
        return [_binding(method, "POST", path, "*", "", f'default route POST "{path}"')]
    result = [_from_rule(method, rule, "")]
    for index, extra in enumerate(rule.additional_bindings):
        where = f"additional_bindings[{index}] "
        if len(extra.additional_bindings):
            raise _error(method, where + _describe(extra), "additional bindings cannot be nested")
        result.append(_from_rule(method, extra, where))
    return result


def _from_rule(method: MethodDescriptor, rule: Any, where: str) -> Binding:
    description = where + _describe(rule)
    if rule.selector and rule.selector != method.full_name:
        raise _error(method, description, f"its selector {rule.selector!r} names another method")
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        raise _error(method, description, "it sets no pattern (get, put, post, delete, patch or custom)")
    if pattern == "custom":
        http_method, path = rule.custom.kind, rule.custom.path
        if not _TOKEN.fullmatch(http_method):
            raise _error(method, description, f"custom kind {http_method!r} is not an HTTP method name or '*'")
    else:
        http_method, path = pattern.upper(), getattr(rule, pattern)
    if http_method == "GET" and rule.body:
        raise _error(method, description, "a GET binding cannot have a body")
    return _binding(method, http_method, path, rule.body, rule.response_body, description)


def _binding(method: MethodDescriptor, http_method: str, path: str, body: str, response: str, rule: str) -> Binding:
    try:
        template = parse_template(path)
    except TemplateSyntaxError as exc:
        raise _error(method, rule, str(exc)) from None
    path_fields: dict[str, tuple[FieldDescriptor, ...]] = {}
    for variable in template.variables:
        try:
            resolved = fieldpaths.resolve(method.input_type, variable.field_path)
        except fieldpaths.FieldPathError as exc:
            raise _error(method, rule, f"variable {{{variable.field_path}}}: {exc}") from None
        problem = fieldpaths.leaf_problem(resolved[-1], allow_repeated=False, allow_scalar_messages=False)
        if problem is not None:
            raise _error(method, rule, f"variable {{{variable.field_path}}} {problem}")
        path_fields[variable.field_path] = resolved
    if body not in ("", "*") and body not in method.input_type.fields_by_name:
        raise _error(method, rule, f"body {body!r} is not a top-level field of {method.input_type.full_name}")
    if response and response not in method.output_type.fields_by_name:
        raise _error(
            method, rule, f"response_body {response!r} is not a top-level field of {method.output_type.full_name}"
        )
    return Binding(
        method=method,
        http_method=http_method,
        template=template,
        body=body,
        response_body=response,
        rule=rule,
        path_fields=path_fields,
        input_class=message_factory.GetMessageClass(method.input_type),
        output_class=message_factory.GetMessageClass(method.output_type),
    )


def _check_conflicts(bindings: list[Binding]) -> None:
    """Refuse two bindings that would receive the same requests (HTTP-064)."""
    seen: dict[object, list[Binding]] = {}
    for binding in bindings:
        same_paths = seen.setdefault(binding.template.shape(), [])
        for other in same_paths:
            if ANY_METHOD in (binding.http_method, other.http_method) or binding.http_method == other.http_method:
                raise HttpRuleError(
                    f"{other.name} (rule {other.rule}) and {binding.name} (rule {binding.rule}) "
                    f"match the same requests; templates must differ in a literal, a wildcard or the verb"
                )
        same_paths.append(binding)


def _describe(rule: Any) -> str:
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        return "(no pattern)"
    if pattern == "custom":
        return f'custom {rule.custom.kind} "{rule.custom.path}"'
    return f'{pattern} "{getattr(rule, pattern)}"'


def _error(method: MethodDescriptor, rule: str, problem: str) -> HttpRuleError:
    return HttpRuleError(f"{method.containing_service.full_name}.{method.name}, rule {rule}: {problem}")
