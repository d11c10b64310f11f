"""The throwaway PostgreSQL server used by the tests."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from cloudstate_proxy.testing import PostgresNotInstalled, TemporaryPostgres, find_bindir


def test_missing_binaries_are_reported_with_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(PostgresNotInstalled, match="apt-get install postgresql"):
        find_bindir([str(tmp_path), str(tmp_path / "absent")])


def test_the_binaries_of_this_machine_are_found() -> None:
    bindir = find_bindir()
    assert (bindir / "initdb").is_file()
    assert (bindir / "pg_ctl").is_file()


async def test_the_server_takes_connections_and_databases_come_and_go(postgres_server: TemporaryPostgres) -> None:
    dsn = postgres_server.create_database("helper_check")
    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT current_database()") == "helper_check"
        assert await connection.fetchval("SELECT current_user") == "postgres"
        assert await connection.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await connection.close()
    postgres_server.drop_database("helper_check")
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await asyncpg.connect(dsn)
