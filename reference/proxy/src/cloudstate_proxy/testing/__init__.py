"""Helpers for testing the proxy and code that runs against it."""

from cloudstate_proxy.testing.postgres import PostgresNotInstalled, TemporaryPostgres, find_bindir

__all__ = ["PostgresNotInstalled", "TemporaryPostgres", "find_bindir"]
