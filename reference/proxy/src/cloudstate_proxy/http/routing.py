"""Choosing the binding for a request (spec/13-http.md, HTTP-015 and HTTP-016).

Every binding whose template matches the path is a candidate; among those that
accept the request's HTTP method the most specific template wins. A path that
some binding matches, but not for this method, is answered 405 with an Allow
header; a path that none matches, 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cloudstate_proxy.errors import InvalidRequest, UnknownMethod
from cloudstate_proxy.http.errors import MethodNotAllowed
from cloudstate_proxy.http.rules import ANY_METHOD, Binding


class Router:
    def __init__(self, bindings: Iterable[Binding], unavailable: Mapping[str, str] | None = None) -> None:
        self._bindings = tuple(bindings)
        # Paths that look like a gRPC method which HTTP does not serve, with the reason, for a clearer 404.
        self._unavailable = dict(unavailable or {})

    def route(self, http_method: str, path: str) -> tuple[Binding, dict[str, str]]:
        """The binding for a request and its decoded path variables; raises a ProxyError when there is none."""
        candidates = [b for b in self._bindings if b.template.match_raw(path) is not None]
        if not candidates:
            raise UnknownMethod(self._unavailable.get(path, f"no HTTP binding matches the path {path}"))
        accepting = [b for b in candidates if b.allows(http_method)]
        if not accepting:
            allowed = sorted({b.http_method for b in candidates})
            raise MethodNotAllowed(f"{path} does not accept {http_method}; it accepts {', '.join(allowed)}", allowed)
        best = max(accepting, key=lambda b: (b.template.specificity(), b.http_method != ANY_METHOD))
        try:
            values = best.template.match(path)
        except UnicodeDecodeError:
            raise InvalidRequest(f"the path {path} holds percent-escapes that are not UTF-8") from None
        assert values is not None
        return best, values
