"""Fixtures shared by every test of the proxy.

One throwaway PostgreSQL server per test session (``postgres_server``), a fresh
database on it per test (``postgres_dsn``), and ``store``: a started store of
each implementation, so that a test asking for it runs once per store (this
is how the store contract suite in ``tests/stores/`` covers every store), and
``examples``: the reference SDK's example user functions as subprocesses, each
started on first use and shared by the session (the end-to-end tests in
``tests/e2e/``). Kept in this one conftest: mypy cannot check two modules both
named conftest.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import AsyncIterator, Iterator

import hypothesis
import pytest
from cloudstate_proxy.stores import Store, open_store
from cloudstate_proxy.testing import TemporaryPostgres, UserFunctionProcess

# Hypothesis's per-example deadline measures wall-clock time, which says nothing
# on a loaded two-core CI machine; timing belongs in benchmarks (nox -s bench).
hypothesis.settings.register_profile("cloudstate", deadline=None)
hypothesis.settings.load_profile("cloudstate")

STORE_IMPLEMENTATIONS = ["memory", "postgres"]

# The end-to-end tests run the reference SDK's programs; without the SDK there is nothing to run them with.
collect_ignore_glob = [] if importlib.util.find_spec("cloudstate_examples") else ["e2e/*"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """A PostgreSQL server for the whole session (started on first use, removed at the end)."""
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: TemporaryPostgres) -> Iterator[str]:
    """The DSN of a fresh, empty database on the session's server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture(params=STORE_IMPLEMENTATIONS)
def store_url(request: pytest.FixtureRequest) -> str:
    """A URL for :func:`open_store`: the in-memory store, or a fresh PostgreSQL database."""
    if request.param == "memory":
        return "memory://"
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A started, empty store of each implementation."""
    opened = open_store(store_url)
    await opened.start()
    yield opened
    await opened.close()


class Examples:
    """The SDK's example user functions (``cloudstate_examples.<name>``), started when first asked for."""

    def __init__(self) -> None:
        self._running: dict[str, UserFunctionProcess] = {}

    def port(self, name: str) -> int:
        """The port of the running example ``name`` (shoppingcart, valuecart, greeter)."""
        example = self._running.get(name)
        if example is None or not example.running:
            example = self._running[name] = UserFunctionProcess(f"cloudstate_examples.{name}")
            example.start()  # the proxy retries discovery until it listens
        return example.port

    def cleanup(self) -> None:
        for example in self._running.values():
            example.cleanup()


@pytest.fixture(scope="session")
def examples() -> Iterator[Examples]:
    """The SDK's examples for the whole session."""
    running = Examples()
    yield running
    running.cleanup()
