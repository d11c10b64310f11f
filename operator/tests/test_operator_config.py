"""Operator settings from the environment (config.py)."""

from __future__ import annotations

import pytest
from cloudstate_operator.config import ConfigError, OperatorConfig, WebhookConfig, parse_duration


def test_defaults_when_nothing_is_set() -> None:
    config = OperatorConfig.from_env({"CLOUDSTATE_PROXY_IMAGE": ""})
    assert config == OperatorConfig()
    assert config.proxy_image == "cloudstate/proxy:0.1.0"
    assert config.webhook is None


def test_every_variable_is_read() -> None:
    config = OperatorConfig.from_env(
        {
            "CLOUDSTATE_PROXY_IMAGE": "proxy:2",
            "CLOUDSTATE_PROXY_IMAGE_PULL_POLICY": "Always",
            "CLOUDSTATE_PROXY_RESOURCES": '{"requests": {"cpu": "1"}}',
            "CLOUDSTATE_RESYNC_INTERVAL": "2m",
            "CLOUDSTATE_RETRY_DELAY": "500ms",
            "CLOUDSTATE_NAMESPACES": "shop, , billing",
            "CLOUDSTATE_API_SERVER": "http://127.0.0.1:8001",
            "CLOUDSTATE_HEALTH_PORT": "8081",
            "CLOUDSTATE_WEBHOOK_PORT": "9443",
            "CLOUDSTATE_WEBHOOK_CERT_FILE": "/tls/tls.crt",
            "CLOUDSTATE_WEBHOOK_INSECURE": "yes",
        }
    )
    assert config.proxy_image == "proxy:2"
    assert config.proxy_image_pull_policy == "Always"
    assert config.proxy_resources == {"requests": {"cpu": "1"}}
    assert (config.resync_interval, config.retry_delay) == (120.0, 0.5)
    assert config.namespaces == ("shop", "billing")
    assert (config.api_server, config.health_port) == ("http://127.0.0.1:8001", 8081)
    assert config.webhook == WebhookConfig(port=9443, cert_file="/tls/tls.crt", insecure=True)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLOUDSTATE_RESYNC_INTERVAL", "soon"),
        ("CLOUDSTATE_RETRY_DELAY", "0s"),
        ("CLOUDSTATE_HEALTH_PORT", "0"),
        ("CLOUDSTATE_WEBHOOK_PORT", "http"),
        ("CLOUDSTATE_PROXY_IMAGE_PULL_POLICY", "Sometimes"),
        ("CLOUDSTATE_PROXY_RESOURCES", "{not json"),
        ("CLOUDSTATE_PROXY_RESOURCES", '{"requests": {"cpu": 1}}'),
        ("CLOUDSTATE_PROXY_RESOURCES", '{"cpu": "1"}'),
        ("CLOUDSTATE_WEBHOOK_INSECURE", "perhaps"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    environ = {variable: value}
    if variable.startswith("CLOUDSTATE_WEBHOOK_") and variable != "CLOUDSTATE_WEBHOOK_PORT":
        environ["CLOUDSTATE_WEBHOOK_PORT"] = "9443"
    with pytest.raises(ConfigError, match=variable):
        OperatorConfig.from_env(environ)


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90", "90s", "1.5m", "250ms")] == [90.0, 90.0, 90.0, 0.25]
