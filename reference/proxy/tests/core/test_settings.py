"""Flags, environment fallbacks and their validation."""

from __future__ import annotations

import pytest
from cloudstate_proxy.settings import MIB, Settings, SettingsError, parse_duration, parse_settings, parse_size


async def test_defaults_follow_the_spec() -> None:
    settings = parse_settings([], {})
    assert (settings.user_function_host, settings.user_function_port) == ("127.0.0.1", 8080)
    assert (settings.http_port, settings.management_port, settings.metrics_port) == (9000, 8558, 9090)
    assert settings.passivation_timeout == 30
    assert settings.relay_timeout == 60
    assert settings.max_message_size == 12 * MIB
    assert settings.store == "memory"
    assert not settings.strict_protocol
    assert settings.grpc_port is None


async def test_environment_variables_are_the_fallback_and_flags_win() -> None:
    env = {"USER_FUNCTION_PORT": "8081", "HTTP_PORT": "9001", "STORE": "postgresql://x/y", "RELAY_TIMEOUT": "5s"}
    settings = parse_settings(["--http-port", "9002", "--strict-protocol", "yes"], env)
    assert (settings.user_function_port, settings.http_port, settings.store) == (8081, 9002, "postgresql://x/y")
    assert settings.relay_timeout == 5
    assert settings.strict_protocol


async def test_an_empty_variable_counts_as_unset() -> None:
    assert parse_settings([], {"HTTP_PORT": ""}).http_port == 9000


@pytest.mark.parametrize(
    ("env", "named"), [({"HTTP_PORT": "http"}, "HTTP_PORT"), ({"USER_FUNCTION_PORT": "70000"}, "USER_FUNCTION_PORT")]
)
async def test_trn_010_an_invalid_port_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        parse_settings([], env)


async def test_per_type_passivation_defaults_fall_back_to_the_common_one() -> None:
    settings = parse_settings(["--passivation-timeout", "10s"], {"VALUE_ENTITY_PASSIVATION_TIMEOUT": "500ms"})
    assert settings.idle_timeout("cloudstate.valueentity.ValueEntity") == 0.5
    assert settings.idle_timeout("cloudstate.eventsourced.EventSourced") == 10
    assert Settings().idle_timeout("cloudstate.crdt.Crdt") == 30


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("250ms", 0.25), ("2m", 120), ("1.5", 1.5)])
async def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "size"), [("12MiB", 12 * MIB), ("512KiB", 512 * 1024), ("4M", 4 * MIB), ("99", 99)])
async def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


async def test_a_negative_timeout_is_refused() -> None:
    with pytest.raises(SettingsError, match="PASSIVATION_TIMEOUT"):
        parse_settings(["--passivation-timeout", "0"], {})
