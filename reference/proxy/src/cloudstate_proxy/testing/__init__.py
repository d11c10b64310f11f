"""Helpers for testing the proxy and code that runs against it."""

from cloudstate_proxy.testing.postgres import PostgresNotInstalled, TemporaryPostgres, find_bindir, free_port
from cloudstate_proxy.testing.processes import Program, ProxyProcess, UserFunctionProcess

__all__ = [
    "PostgresNotInstalled",
    "Program",
    "ProxyProcess",
    "TemporaryPostgres",
    "UserFunctionProcess",
    "find_bindir",
    "free_port",
]
