"""Fixtures for the SDK tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import hypothesis
import pytest
from cloudstate import event_sourced_pb2_grpc, value_entity_pb2_grpc
from cloudstate_sdk.tck_model import entities
from sdk_harness import Stream, serving

# Hypothesis's per-example deadline measures wall-clock time, which says nothing
# on a loaded two-core CI machine; timing belongs in benchmarks (nox -s bench).
hypothesis.settings.register_profile("cloudstate", deadline=None)
hypothesis.settings.load_profile("cloudstate")


@pytest.fixture
async def tck_channel() -> AsyncIterator[grpc.aio.Channel]:
    """A channel to a real SDK server serving the TCK models."""
    async with serving(entities()) as channel:
        yield channel


def _opener(stub: Any) -> Iterator[Callable[[], Stream]]:
    calls: list[Any] = []

    def open_stream() -> Stream:
        calls.append(stub.handle())
        return Stream(calls[-1])

    yield open_stream
    for call in calls:
        call.cancel()


@pytest.fixture
def es_stream(tck_channel: grpc.aio.Channel) -> Iterator[Callable[[], Stream]]:
    """Opens event sourced streams: ``stream = es_stream()``."""
    yield from _opener(event_sourced_pb2_grpc.EventSourcedStub(tck_channel))


@pytest.fixture
def ve_stream(tck_channel: grpc.aio.Channel) -> Iterator[Callable[[], Stream]]:
    """Opens value entity streams: ``stream = ve_stream()``."""
    yield from _opener(value_entity_pb2_grpc.ValueEntityStub(tck_channel))


@pytest.fixture(autouse=True)
def _quiet_sdk_errors(caplog: pytest.LogCaptureFixture) -> None:
    # Failures are logged at ERROR on purpose; keep them captured per test.
    caplog.set_level(logging.INFO, logger="cloudstate_sdk")


@pytest.fixture(scope="session", autouse=True)
def _no_implicit_event_loop() -> None:
    # Python 3.11's asyncio.get_event_loop() creates a loop when none was ever
    # set; pytest-asyncio calls it between tests and restores what it got, so
    # such a loop is never closed and its ResourceWarning (an error here) hits
    # a random later test. Having "set" no loop turns that into a plain None.
    asyncio.set_event_loop(None)
