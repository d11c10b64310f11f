"""Invalid StatefulService and StatefulStore specs are refused with a message naming the problem."""

from __future__ import annotations

from typing import Any

import pytest
from cloudstate_operator.errors import DependencyMissing, InvalidSpec
from cloudstate_operator.specs import USER_FUNCTION, parse_service
from cloudstate_operator.stores import InMemory, Postgres, bind, check_secret, parse_store

CART = {"image": "cart"}


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("Cart", {"containers": [CART]}, "must be a DNS label"),
        ("c" * 64, {"containers": [CART]}, "at most 63 characters"),
        ("9cart", {"containers": [CART]}, "starting with a letter"),
        ("cart", None, "at least one container"),
        ("cart", {"containers": []}, "at least one container"),
        ("cart", {"containers": "cart"}, "spec.containers must be a list of objects"),
        ("cart", {"containers": [{"name": "x"}]}, "spec.containers[0].image is required"),
        ("cart", {"containers": [{"image": ""}]}, "spec.containers[0].image must be a non-empty string"),
        ("cart", {"containers": [CART, {"image": "b", "name": USER_FUNCTION}]}, "'user-function' is used twice"),
        ("cart", {"containers": [{"image": "a", "name": "cloudstate-proxy"}]}, "reserved for the proxy sidecar"),
        ("cart", {"containers": [{"image": "a", "name": "Has_Caps"}]}, "spec.containers[0].name must be a DNS label"),
        ("cart", {"containers": [CART], "replicas": -1}, "spec.replicas must be at least 0"),
        ("cart", {"containers": [CART], "replicas": "2"}, "spec.replicas must be an integer"),
        ("cart", {"containers": [CART], "replicas": True}, "spec.replicas must be an integer"),
        ("cart", {"containers": [CART], "ports": {"http": 70000}}, "spec.ports.http must be between 1 and 65535"),
        ("cart", {"containers": [CART], "ports": {"http": 8080}}, "must be four different ports"),
        (
            "cart",
            {"containers": [{"image": "a", "ports": [{"containerPort": 9000}]}]},
            "port 9000 is one of the proxy's ports",
        ),
        (
            "cart",
            {"containers": [{"image": "a", "ports": [{"containerPort": 1, "name": "metrics"}]}]},
            "'metrics' is reserved",
        ),
        ("cart", {"containers": [CART], "proxy": {"passivationTimeout": "30 seconds"}}, "is not a duration"),
        ("cart", {"containers": [CART], "proxy": {"imagePullPolicy": "Sometimes"}}, "must be one of Always"),
        ("cart", {"containers": [CART], "proxy": {"env": [{"name": "STORE", "value": "x"}]}}, "STORE is set by"),
        ("cart", {"containers": [CART], "proxy": "big"}, "spec.proxy must be an object"),
        (
            "cart",
            {"containers": [CART], "autoscaling": {"minReplicas": 5, "maxReplicas": 2}},
            "minReplicas must not exceed",
        ),
        ("cart", {"containers": [CART], "storeConfig": {"statefulStore": {"name": ""}}}, "non-empty string"),
    ],
)
def test_an_invalid_service_spec_is_refused_with_the_reason(name: str, spec: Any, message: str) -> None:
    with pytest.raises(InvalidSpec) as caught:
        parse_service(name, spec)
    assert message in caught.value.message
    assert caught.value.reason == "InvalidSpec"


def test_a_minimal_spec_gets_upstream_style_defaults() -> None:
    service = parse_service("cart", {"containers": [CART]})
    assert service.containers == ({"image": "cart", "name": "user-function"},)
    assert (service.replicas, service.store, service.autoscaling) == (1, None, None)
    assert (service.ports.user_function, service.ports.http, service.ports.service) == (8080, 9000, 80)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "exactly one of inMemory and postgres"),
        ({"inMemory": {}, "postgres": {"host": "db"}}, "exactly one of inMemory and postgres"),
        ({"inMemory": True}, "spec.inMemory must be an object"),
        ({"postgres": {"credentials": {"secret": {"name": "s"}}}}, "spec.postgres.host is required"),
        ({"postgres": {"host": "db"}}, "spec.postgres.credentials.secret.name is required"),
        ({"postgres": {"host": "db", "port": 0, "credentials": {"secret": {"name": "s"}}}}, "between 1 and 65535"),
        (
            {"postgres": {"host": "db", "credentials": {"secret": {"name": "s"}}, "tls": {"mode": "maybe"}}},
            "spec.postgres.tls.mode must be one of disable",
        ),
        (
            {"postgres": {"host": "db", "credentials": {"secret": {"name": "s"}}, "tls": {"mode": "verify-full"}}},
            "rootCertSecret is required with tls.mode verify-full",
        ),
    ],
)
def test_an_invalid_store_spec_is_refused_with_the_reason(spec: Any, message: str) -> None:
    with pytest.raises(InvalidSpec) as caught:
        parse_store(spec)
    assert message in caught.value.message


def test_postgres_defaults_follow_libpq() -> None:
    store = parse_store({"postgres": {"host": "db", "credentials": {"secret": {"name": "creds"}}}})
    assert store == Postgres(host="db", secret="creds")
    assert (store.port, store.database, store.tls_mode, store.username_key) == (
        5432,
        "cloudstate",
        "prefer",
        "username",
    )
    assert parse_store({"inMemory": {}}) == InMemory()


def test_the_store_url_carries_no_credentials_and_quotes_the_database() -> None:
    store = Postgres(
        host="fd00::5",
        port=6432,
        database="carts/eu west",
        secret="creds",
        tls_mode="verify-full",
        root_cert_secret="ca",
        root_cert_key="ca.pem",
    )
    binding = bind("main", store, None)
    assert binding.url == (
        "postgresql://[fd00::5]:6432/carts%2Feu%20west?sslmode=verify-full"
        "&sslrootcert=/etc/cloudstate/postgres-tls/root.crt"
    )
    assert [e["name"] for e in binding.env] == ["PGUSER", "PGPASSWORD"]
    assert binding.env[1]["valueFrom"] == {"secretKeyRef": {"name": "creds", "key": "password"}}
    assert binding.volumes[0]["secret"] == {"secretName": "ca", "items": [{"key": "ca.pem", "path": "root.crt"}]}
    assert bind("main", store, "other").url.startswith("postgresql://[fd00::5]:6432/other?")
    assert bind(None, None).url == "memory"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "SecretNotFound"),
        ({"data": {"username": "dQ=="}}, "SecretKeyMissing"),
        ({"data": {}, "stringData": {"password": "p"}}, "SecretKeyMissing"),
    ],
)
def test_a_missing_secret_or_key_is_a_missing_dependency(secret: Any, reason: str) -> None:
    with pytest.raises(DependencyMissing) as caught:
        check_secret(Postgres(host="db", secret="creds"), secret)
    assert caught.value.reason == reason
    assert "'creds'" in caught.value.message


def test_a_complete_secret_passes() -> None:
    check_secret(Postgres(host="db", secret="creds"), {"data": {"username": "dQ==", "password": "cA=="}})
