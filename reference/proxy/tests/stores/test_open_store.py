"""Choosing a store by URL."""

from __future__ import annotations

import pytest
from cloudstate_proxy.errors import StoreUnavailable
from cloudstate_proxy.stores import MemoryStore, PostgresStore, open_store
from cloudstate_proxy.testing.postgres import free_port


@pytest.mark.parametrize("url", [None, "memory", "memory://"])
def test_the_default_and_memory_urls_open_the_in_memory_store(url: str | None) -> None:
    assert isinstance(open_store(url), MemoryStore)


@pytest.mark.parametrize(
    "url", ["postgresql://user:secret@db:5432/cloudstate", "postgres://localhost/cloudstate", "POSTGRESQL://db/x"]
)
def test_postgresql_urls_open_the_postgres_store(url: str) -> None:
    assert isinstance(open_store(url), PostgresStore)


@pytest.mark.parametrize("url", ["", "memroy", "memory://somewhere", "mysql://root:hunter2@db/x", "/var/lib/data"])
def test_anything_else_is_a_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported store URL") as raised:
        open_store(url)
    assert "postgresql://" in str(raised.value)
    assert "hunter2" not in str(raised.value)  # a URL's credentials never end up in an error message


async def test_a_postgres_store_that_cannot_connect_reports_the_store_unavailable() -> None:
    store = open_store(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")  # nobody listens there
    with pytest.raises(StoreUnavailable, match="PostgreSQL: ConnectionRefusedError"):
        await store.start()
    assert not await store.healthy()
