"""Fixtures for the tests of the TCK: correct fake user functions, one process per session; the proxy direction's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tck.sdk.driver import UserFunction
from tck.tests.fakes import proxy_stack
from tck.tests.fakes.harness import fake_user_function


@pytest.fixture(scope="session")
def fake() -> Iterator[UserFunction]:
    """A correct fake that rolls back after failures."""
    with fake_user_function() as uf:
        yield uf


@pytest.fixture(scope="session")
def restarting_fake() -> Iterator[UserFunction]:
    """A correct fake that answers failures with Failure.restart."""
    with fake_user_function("--restart") as uf:
        yield uf


# -- the proxy direction: the reference SDK's TCK model, an interceptor in front of it, PostgreSQL for the proxy --


@pytest.fixture(scope="session")
def tck_model() -> Iterator[proxy_stack.Process]:
    """The reference SDK's TCK model user function (all but eventing, which the proxy lacks), restartable."""
    pytest.importorskip("cloudstate_sdk", reason="the reference SDK (reference/sdk) is not installed")
    process = proxy_stack.user_function()
    process.start()
    yield process
    process.close()


@pytest.fixture(scope="session")
def durable_store() -> Iterator[str]:
    """A PostgreSQL database URL for a proxy whose store must survive its restarts ("memory" without PostgreSQL)."""
    testing = pytest.importorskip("cloudstate_proxy.testing", reason="the reference proxy is not installed")
    try:
        server = testing.TemporaryPostgres()
    except testing.PostgresNotInstalled:
        yield "memory"
        return
    with server:
        yield server.create_database("tck_proxy")
