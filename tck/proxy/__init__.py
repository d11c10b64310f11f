"""The TCK as the client of a proxy, between the proxy and a user function that serves the TCK model.

The runner starts an :class:`~tck.proxy.interceptor.Interceptor` in its own
process, points the proxy's ``USER_FUNCTION_PORT`` at it and runs the suites
of :func:`~tck.proxy.suites.proxy_suites`. Modules: ``interceptor``,
``relay`` and ``records`` (the man in the middle and its log), ``client``
(gRPC and HTTP/JSON calls of the TCK model services), ``checks``, ``rules``
(per-stream rules), ``ordering`` (side effects and forwards), the machines
``eventsourced``, ``valueentity`` and ``action`` (with ``entity_machine``),
``golden`` (fixed scenarios), ``discovery``, ``lifecycle`` and ``suites``.
"""

from tck.proxy.client import Answer, ProxyClient
from tck.proxy.harness import Bounds, Harness
from tck.proxy.interceptor import Interceptor, find
from tck.proxy.suites import proxy_suites

__all__ = ["Answer", "Bounds", "Harness", "Interceptor", "ProxyClient", "find", "proxy_suites"]
