"""Render a protocol reference from the comments in the ``.proto`` files.

The comments are read from the descriptor set's source info, so the reference
always says what the compiled contract says: services and their methods first,
then messages with a field table, then enums.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from google.protobuf import descriptor_pb2

_TYPE_NAMES = {value: name[len("TYPE_") :].lower() for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()}
# Field numbers of FileDescriptorProto / DescriptorProto / ... used in source-info paths.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM, _VALUE, _METHOD = 2, 3, 4, 2, 2


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {
        tuple(location.path): location.leading_comments.strip()
        for location in file.source_code_info.location
        if location.leading_comments.strip()
    }


def _doc(comments: dict[tuple[int, ...], str], path: Sequence[int]) -> str:
    text = comments.get(tuple(path), "")
    paragraphs = [html.escape(p.replace("\n", " ")) for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _anchor(name: str) -> str:
    return name.replace(".", "-")


def _field_type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type_name:
        name = field.type_name.lstrip(".")
        shown = f'<a href="#{_anchor(name)}">{html.escape(name)}</a>'
    else:
        shown = _TYPE_NAMES[field.type]
    return f"repeated {shown}" if field.label == field.LABEL_REPEATED else shown


def _message(
    comments: dict[tuple[int, ...], str], message: descriptor_pb2.DescriptorProto, prefix: str, path: list[int]
) -> list[str]:
    full = f"{prefix}.{message.name}"
    oneofs = [o.name for o in message.oneof_decl]
    rows = []
    for index, field in enumerate(message.field):
        oneof = (
            f' <span class="muted">(oneof {oneofs[field.oneof_index]})</span>' if field.HasField("oneof_index") else ""
        )
        rows.append(
            f"<tr><td><code>{field.name}</code>{oneof}</td><td>{field.number}</td><td>{_field_type(field)}</td>"
            f"<td>{_doc(comments, [*path, _FIELD, index])}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>Field</th><th>#</th><th>Type</th><th>Meaning</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">No fields.</p>'
    )
    parts = [f'<h3 id="{_anchor(full)}">message {html.escape(full)}</h3>{_doc(comments, path)}{table}']
    for index, nested in enumerate(message.nested_type):
        if not nested.options.map_entry:
            parts.extend(_message(comments, nested, full, [*path, _NESTED, index]))
    for index, enum in enumerate(message.enum_type):
        parts.append(_enum(comments, enum, full, [*path, _NESTED_ENUM, index]))
    return parts


def _enum(
    comments: dict[tuple[int, ...], str], enum: descriptor_pb2.EnumDescriptorProto, prefix: str, path: list[int]
) -> str:
    full = f"{prefix}.{enum.name}"
    rows = "".join(
        f"<tr><td><code>{v.name}</code></td><td>{v.number}</td><td>{_doc(comments, [*path, _VALUE, i])}</td></tr>"
        for i, v in enumerate(enum.value)
    )
    return (
        f'<h3 id="{_anchor(full)}">enum {html.escape(full)}</h3>{_doc(comments, path)}'
        f"<table><thead><tr><th>Value</th><th>#</th><th>Meaning</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _file(file: descriptor_pb2.FileDescriptorProto) -> str:
    comments = _comments(file)
    parts = [f'<h2 id="{_anchor(file.name)}">{html.escape(file.name)}</h2>']
    parts.append(f'<p class="muted">package <code>{html.escape(file.package)}</code></p>')
    for s_index, service in enumerate(file.service):
        full = f"{file.package}.{service.name}"
        parts.append(f'<h3 id="{_anchor(full)}">service {html.escape(full)}</h3>{_doc(comments, [_SERVICE, s_index])}')
        for m_index, method in enumerate(service.method):
            arrow_in = "stream " if method.client_streaming else ""
            arrow_out = "stream " if method.server_streaming else ""
            signature = (
                f"rpc {method.name}({arrow_in}{method.input_type.lstrip('.')}) "
                f"returns ({arrow_out}{method.output_type.lstrip('.')})"
            )
            parts.append(
                f'<h4 id="{_anchor(full)}-{method.name}"><code>{html.escape(signature)}</code></h4>'
                f"{_doc(comments, [_SERVICE, s_index, _METHOD, m_index])}"
            )
    for index, message in enumerate(file.message_type):
        parts.extend(_message(comments, message, file.package, [_MESSAGE, index]))
    for index, enum in enumerate(file.enum_type):
        parts.append(_enum(comments, enum, file.package, [_ENUM, index]))
    return "\n".join(parts)


def render_reference(descriptor_set: descriptor_pb2.FileDescriptorSet, prefix: str = "cloudstate/") -> str:
    files = sorted((f for f in descriptor_set.file if f.name.startswith(prefix)), key=lambda f: f.name)
    toc = "".join(f'<li><a href="#{_anchor(f.name)}">{html.escape(f.name)}</a></li>' for f in files)
    intro = (
        '<h1>Protocol reference</h1><p class="muted">Generated from the comments of the .proto files '
        "(Cloudstate protocol 0.2).</p>"
    )
    return f"{intro}<ul>{toc}</ul>" + "\n".join(_file(f) for f in files)
