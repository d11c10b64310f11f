"""The Cloudstate reference proxy (protocol 0.2).

It discovers what a user function serves, serves those services to clients
over gRPC and HTTP/JSON on one port, keeps entity state in a store, and
drives the user function over the Cloudstate protocol.

Entry points: ``cloudstate-proxy`` / ``python -m cloudstate_proxy`` on the
command line; :class:`Proxy` with :class:`Settings` in-process.
"""

from cloudstate_proxy.errors import ProxyError
from cloudstate_proxy.invoking import Call, Invoker, MetadataEntry, Response
from cloudstate_proxy.proxy import Proxy
from cloudstate_proxy.settings import Settings, parse_settings

__all__ = ["Call", "Invoker", "MetadataEntry", "Proxy", "ProxyError", "Response", "Settings", "parse_settings"]
