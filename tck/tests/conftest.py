"""Fixtures for the tests of the TCK: correct fake user functions, one process per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tck.sdk.driver import UserFunction
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
