"""HTTP/JSON transcoding of the user function's gRPC services (spec/13-http.md).

``build_http_app`` turns the services' descriptors and an
:class:`~cloudstate_proxy.invoking.Invoker` into an aiohttp application:
``google.api.http`` rules (or the default route ``POST /<package.Service>/<Method>``)
map requests to methods, JSON bodies, query parameters and path variables
become the input message, and the output is rendered as proto3 JSON,
raw ``google.api.HttpBody`` bytes or a stream.
"""

from cloudstate_proxy.http.app import DEFAULT_MAX_MESSAGE_BYTES, build_http_app
from cloudstate_proxy.http.errors import HttpRuleError
from cloudstate_proxy.http.rules import streaming_rule_warnings

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "HttpRuleError", "build_http_app", "streaming_rule_warnings"]
