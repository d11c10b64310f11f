"""The runner's side of the proxy direction's interceptor (``tck.proxy.interceptor``).

In the proxy direction the proxy's connection to the user function goes
through the TCK's interceptor, which relays every call and records it for the
proxy suites (they find it by its port with ``tck.proxy.interceptor.find``).
The runner only starts it before the proxy, stops it after, and reads the
ProxyInfo the proxy sent in discovery (name, version, supported entity types)
for the report and for applicability.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cloudstate import entity_pb2

from tck.outcome import RunError
from tck.proxy.interceptor import Interceptor
from tck.suites import Endpoint


@contextlib.contextmanager
def intercepting(listen: Endpoint, target: Endpoint) -> Iterator[Interceptor]:
    """An interceptor on ``listen`` relaying to the user function at ``target``, for the duration of the block."""
    interceptor = Interceptor(listen=listen, upstream=target)
    try:
        interceptor.start()
    except Exception as error:  # grpc reports a port it cannot bind as a RuntimeError
        interceptor.stop()
        raise RunError(f"the interceptor could not listen on {listen.target}: {error}") from error
    try:
        yield interceptor
    finally:
        interceptor.stop()


def proxy_info(interceptor: Interceptor) -> entity_pb2.ProxyInfo | None:
    """The ProxyInfo of the proxy's first discover call through the interceptor, if it made one."""
    calls = interceptor.discoveries()
    return calls[0][1] if calls else None


__all__ = ["intercepting", "proxy_info"]
