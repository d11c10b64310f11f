"""Fixtures shared by every test of the proxy.

One throwaway PostgreSQL server per test session (``postgres_server``), a fresh
database on it per test (``postgres_dsn``), and ``store``: a started store of
each implementation, so that a test asking for it runs once per store (this
is how the store contract suite in ``tests/stores/`` covers every store).
Kept in this one conftest: mypy cannot check two modules both named conftest.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from cloudstate_proxy.stores import Store, open_store
from cloudstate_proxy.testing import TemporaryPostgres

STORE_IMPLEMENTATIONS = ["memory", "postgres"]


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
