"""Errors of the HTTP/JSON transcoder.

Build-time problems with ``google.api.http`` rules raise :class:`HttpRuleError`.
Request-time problems that only HTTP knows about extend the proxy's one
exception tree (:class:`~cloudstate_proxy.errors.ProxyError`), so that the
handler turns every failure into a response the same way: the ProxyError's
HTTP status and a ``google.rpc.Status``-shaped JSON body (spec/13-http.md,
HTTP-050).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

import grpc
from aiohttp import web

from cloudstate_proxy.errors import InvalidRequest, ProxyError, UnknownMethod


class HttpRuleError(ValueError):
    """A ``google.api.http`` rule that cannot be served (invalid, or in conflict with another)."""


class MethodNotAllowed(UnknownMethod):
    """The path matches bindings, but none for the request's HTTP method."""

    http = 405

    def __init__(self, message: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.allowed = tuple(allowed)


class UnsupportedMediaType(InvalidRequest):
    """A JSON body rule received a body that is not ``application/json`` in UTF-8 (HTTP-040)."""

    http = 415


class InternalError(ProxyError):
    """An unexpected exception behind the transcoder; the details stay in the log."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL


def status_json(error: ProxyError) -> bytes:
    """The JSON error object for ``error``: ``{"code":…,"message":…,"details":[]}``."""
    status = {"code": error.code.value[0], "message": error.message, "details": []}
    return json.dumps(status, separators=(",", ":"), ensure_ascii=False).encode()


def error_response(error: ProxyError) -> web.Response:
    """The complete HTTP answer for a failed call."""
    headers = {"Content-Type": "application/json"}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return web.Response(status=error.http_status, body=status_json(error), headers=headers)
