"""StatefulStore specs and how a proxy is bound to one (pure).

The proxy takes its store as one URL in ``STORE`` (``memory`` or a
``postgresql://`` URL that it hands to asyncpg unchanged). Credentials never go
into that URL: it would need the Secret's values, which the operator must not
copy into a pod spec. Instead the proxy container gets ``PGUSER`` and
``PGPASSWORD`` from the Secret through ``secretKeyRef``, and asyncpg falls back
to exactly those variables for a URL without user and password. That also
spares passwords from URL escaping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cloudstate_operator import names
from cloudstate_operator.errors import DependencyMissing, InvalidSpec
from cloudstate_operator.fields import Fields

TLS_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
VERIFYING_MODES = ("verify-ca", "verify-full")


@dataclasses.dataclass(frozen=True)
class InMemory:
    """State lives in each proxy process and is lost when the pod goes."""


@dataclasses.dataclass(frozen=True)
class Postgres:
    host: str
    port: int = 5432
    database: str = "cloudstate"
    secret: str = ""
    username_key: str = "username"
    password_key: str = "password"
    tls_mode: str = "prefer"
    #: Secret holding the CA certificate that verify-ca and verify-full check the server against.
    root_cert_secret: str | None = None
    root_cert_key: str = "ca.crt"


StoreSpec = InMemory | Postgres


def parse_store(spec: object) -> StoreSpec:
    """A StatefulStore's spec, validated; :class:`InvalidSpec` says what is wrong."""
    fields = Fields(spec, "spec")
    kinds = [key for key in ("inMemory", "postgres") if fields.has(key)]
    if len(kinds) != 1:
        raise InvalidSpec("spec must set exactly one of inMemory and postgres")
    if kinds == ["inMemory"]:
        fields.obj("inMemory")  # must at least be an object
        return InMemory()
    pg = fields.obj("postgres")
    credentials = pg.obj("credentials")
    tls = pg.obj("tls")
    root = tls.obj("rootCertSecret")
    store = Postgres(
        host=pg.required_string("host"),
        port=pg.port("port", 5432),
        database=pg.string("database", "cloudstate") or "cloudstate",
        secret=credentials.obj("secret").required_string("name"),
        username_key=credentials.string("usernameKey", "username") or "username",
        password_key=credentials.string("passwordKey", "password") or "password",
        tls_mode=tls.choice("mode", TLS_MODES, "prefer") or "prefer",
        root_cert_secret=root.string("name"),
        root_cert_key=root.string("key", "ca.crt") or "ca.crt",
    )
    if store.tls_mode in VERIFYING_MODES and store.root_cert_secret is None:
        raise InvalidSpec(f"spec.postgres.tls.rootCertSecret is required with tls.mode {store.tls_mode}")
    return store


def check_secret(store: Postgres, secret: Mapping[str, Any] | None) -> None:
    """Raise :class:`DependencyMissing` unless ``secret`` (the Secret object or None) has both credential keys."""
    if secret is None:
        raise DependencyMissing(
            f"Secret {store.secret!r} with the PostgreSQL credentials not found", reason="SecretNotFound"
        )
    present = set(secret.get("data") or {}) | set(secret.get("stringData") or {})
    missing = [key for key in (store.username_key, store.password_key) if key not in present]
    if missing:
        raise DependencyMissing(
            f"Secret {store.secret!r} has no key {', '.join(repr(key) for key in missing)}", reason="SecretKeyMissing"
        )


@dataclasses.dataclass(frozen=True)
class StoreBinding:
    """Everything the proxy container needs to reach its store."""

    #: The StatefulStore's name, None for the in-memory default.
    store: str | None
    url: str
    env: tuple[Mapping[str, Any], ...] = ()
    volumes: tuple[Mapping[str, Any], ...] = ()
    mounts: tuple[Mapping[str, Any], ...] = ()


IN_MEMORY = StoreBinding(store=None, url="memory")


def bind(store_name: str | None, store: StoreSpec | None, database: str | None = None) -> StoreBinding:
    """The binding for a proxy using ``store`` (named ``store_name``); ``database`` overrides the store's."""
    if store is None or isinstance(store, InMemory):
        return dataclasses.replace(IN_MEMORY, store=store_name)
    host = f"[{store.host}]" if ":" in store.host else store.host
    query = f"sslmode={store.tls_mode}"
    volumes: tuple[Mapping[str, Any], ...] = ()
    mounts: tuple[Mapping[str, Any], ...] = ()
    if store.root_cert_secret is not None:
        query += f"&sslrootcert={names.TLS_MOUNT_PATH}/{names.TLS_ROOT_CERT_FILE}"
        volumes = (
            {
                "name": names.TLS_VOLUME,
                "secret": {
                    "secretName": store.root_cert_secret,
                    "items": [{"key": store.root_cert_key, "path": names.TLS_ROOT_CERT_FILE}],
                },
            },
        )
        mounts = ({"name": names.TLS_VOLUME, "mountPath": names.TLS_MOUNT_PATH, "readOnly": True},)
    url = f"postgresql://{host}:{store.port}/{quote(database or store.database, safe='')}?{query}"
    env = (
        {"name": "PGUSER", "valueFrom": {"secretKeyRef": {"name": store.secret, "key": store.username_key}}},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": store.secret, "key": store.password_key}}},
    )
    return StoreBinding(store=store_name, url=url, env=env, volumes=volumes, mounts=mounts)


def store_type(store: StoreSpec) -> str:
    """The word the StatefulStore's status (and ``kubectl get``) shows."""
    return "InMemory" if isinstance(store, InMemory) else "PostgreSQL"
