"""PostgreSQL goes away under a serving proxy and comes back (spec/06-failures.md FAIL-050, FAIL-051, FAIL-055).

While the database is down, commands that need it fail with UNAVAILABLE (HTTP
503) and a message naming the entity and the store; the proxy stays up (alive)
but reports itself unready. Once the database is back, commands succeed again
without a restart of anything, every acknowledged write is there and the
refused ones left no trace, even though the user function had already applied
them in memory.

These tests stop the session's shared PostgreSQL server, and start it again
whatever happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import grpc
import pytest
from cloudstate_proxy.testing import TemporaryPostgres
from e2e_carts import EXAMPLE_CARTS, CartApi
from e2e_harness import serving, until

if TYPE_CHECKING:  # for the fixture's type only; pytest loads conftest itself
    from conftest import Examples

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


@pytest.fixture
def database(postgres_server: TemporaryPostgres, postgres_dsn: str) -> Iterator[TemporaryPostgres]:
    """The shared server, running again after the test (before the test's database is dropped)."""
    yield postgres_server
    postgres_server.start()


@pytest.mark.parametrize(
    ("api", "mode"), [(EXAMPLE_CARTS[0], "fast"), (EXAMPLE_CARTS[1], "immediate")], ids=["shoppingcart", "valuecart"]
)
async def test_commands_fail_cleanly_while_the_database_is_down_and_succeed_after(
    examples: Examples, database: TemporaryPostgres, postgres_dsn: str, api: CartApi, mode: Literal["fast", "immediate"]
) -> None:
    async with serving(examples.port(api.example), postgres_dsn) as served:
        await api.add(served, "c1", "p1", over_http=False)
        await api.add(served, "c1", "p2", over_http=True)
        assert await served.ready()

        await asyncio.to_thread(database.stop, mode)  # "immediate" is a crash of the server
        # A loaded entity: the user function applies the command, writing it fails.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await api.add(served, "c1", "p3", over_http=False)
        assert refused.value.code() == UNAVAILABLE
        message = refused.value.details() or ""
        assert all(part in message for part in (api.service, "'c1'", "store is unavailable", "PostgreSQL")), message
        # An entity that is not loaded yet: loading it fails.
        answer = await served.request("GET", "/carts/c2" if api.event_sourced else "/valuecarts/c2")
        assert (answer.status, answer.json()["code"]) == (503, UNAVAILABLE.value[0])
        assert all(part in answer.json()["message"] for part in (api.service, "'c2'", "loading failed")), answer.text
        # Up, but not ready (TRN-018).
        assert (await served.probe("/alive"), await served.probe("/ready")) == (200, 503)

        await asyncio.to_thread(database.start)
        await until(served.ready, "the proxy is ready again")
        await api.add(served, "c1", "p4", over_http=True)
        assert await api.products(served, "c1") == ["p1", "p2", "p4"]
        assert await api.products(served, "c2") == []
