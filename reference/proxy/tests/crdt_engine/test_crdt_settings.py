"""The CRDT settings: replica id, write-consistency timeout, liveness heartbeat and window."""

from __future__ import annotations

import os
import socket

import pytest
from cloudstate_proxy.settings import SettingsError, parse_settings
from cloudstate_proxy.stores.replication import default_replica_id
from crdt_harness import running


async def test_defaults() -> None:
    settings = parse_settings([], {})
    assert settings.replica_id is None
    assert settings.crdt_write_timeout == 5  # CRDT-030
    assert (settings.crdt_heartbeat_interval, settings.crdt_liveness_window) == (1, 5)


async def test_flags_and_environment() -> None:
    env = {"REPLICA_ID": "pod-7", "CRDT_WRITE_TIMEOUT": "250ms", "CRDT_LIVENESS_WINDOW": "3s"}
    settings = parse_settings(["--crdt-heartbeat-interval", "500ms"], env)
    assert settings.replica_id == "pod-7"
    assert (settings.crdt_write_timeout, settings.crdt_heartbeat_interval, settings.crdt_liveness_window) == (
        0.25,
        0.5,
        3,
    )


async def test_the_liveness_window_must_be_longer_than_the_heartbeat() -> None:
    with pytest.raises(SettingsError, match="CRDT_LIVENESS_WINDOW"):
        parse_settings(["--crdt-heartbeat-interval", "5s", "--crdt-liveness-window", "5s"], {})


async def test_a_generated_replica_id_names_host_and_process_and_differs_per_start() -> None:
    first, second = default_replica_id(), default_replica_id()
    assert first.startswith(f"{socket.gethostname()}-{os.getpid()}-")
    assert first != second


async def test_a_configured_replica_id_is_used_as_is() -> None:
    async with running(replica_id="proxy-one") as env:
        assert env.engine.replication.replica == "proxy-one"
        assert env.engine.replication.live() == {"proxy-one"}
