"""The pod the operator renders, run as processes on this machine: does the real proxy understand it?

This checks the operator's assumptions about the proxy (reference/proxy) and the
SDK (reference/sdk) rather than trusting them: the shopping cart's container and
the proxy sidecar are started with exactly the environment the rendered
Deployment gives them (Secret references resolved the way the kubelet resolves
them), against a real PostgreSQL. The probes' paths and ports, the Service's
ports and the store wiring are all taken from the rendered manifests, not
restated here. The throwaway server trusts local connections, so it checks the
user the proxy logs in as; the password (one that a URL would need escaped)
is checked to reach the proxy's environment untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import aiohttp
import asyncpg
import pytest
from cloudstate_operator import names
from cloudstate_operator.config import OperatorConfig
from cloudstate_operator.manifests import Owner, desired_children
from cloudstate_operator.specs import parse_service
from cloudstate_operator.stores import bind, parse_store
from cloudstate_proxy.testing import Program, TemporaryPostgres, free_port

USER, PASSWORD = "cart_user", "p@ss:/w?#%"  # every character a URL would need escaped
SECRET = {"username": USER, "password": PASSWORD}


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
async def database(postgres: TemporaryPostgres) -> AsyncIterator[str]:
    """A database owned by a password-protected role, as a DBA would hand it to a team."""
    postgres.create_database("carts")
    admin = await asyncpg.connect(postgres.dsn_for("carts"))
    try:
        await admin.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        await admin.execute(f"ALTER DATABASE carts OWNER TO {USER}")
        await admin.execute(f"ALTER SCHEMA public OWNER TO {USER}")
    finally:
        await admin.close()
    yield "carts"
    postgres.drop_database("carts")
    admin = await asyncpg.connect(postgres.dsn)
    try:
        await admin.execute(f"DROP ROLE {USER}")
    finally:
        await admin.close()


def resolved_env(container: Mapping[str, Any], secrets: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The container's environment as the kubelet hands it over: values, and Secret keys looked up."""
    env = {}
    for variable in container.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def container_port(container: Mapping[str, Any], name: str) -> int:
    return next(int(port["containerPort"]) for port in container["ports"] if port["name"] == name)


async def status_of(url: str) -> int:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as reply:
            return reply.status
    except aiohttp.ClientError:
        return 0


async def until_ready(url: str, *programs: Program) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while await status_of(url) != 200:
        assert all(program.running for program in programs), "a container exited"
        assert loop.time() < deadline, f"{url} never answered 200"
        await asyncio.sleep(0.1)


async def test_the_rendered_pod_serves_the_shopping_cart_from_postgres(
    postgres: TemporaryPostgres, database: str
) -> None:
    store = parse_store(
        {
            "postgres": {
                "host": "127.0.0.1",
                "port": postgres.port,
                "database": database,
                "credentials": {"secret": {"name": "pg-creds"}},
                "tls": {"mode": "disable"},
            }
        }
    )
    free = [free_port() for _ in range(4)]
    spec = parse_service(
        "shopping-cart",
        {
            "containers": [{"image": "cloudstate/sdk-examples:0.1.0", "args": ["shoppingcart"]}],
            "storeConfig": {"statefulStore": {"name": "pg"}},
            "ports": dict(zip(["userFunction", "http", "metrics", "management"], free, strict=True)),
        },
    )
    children = {
        c["kind"]: c
        for c in desired_children(spec, Owner("shopping-cart", "shop", "u"), bind("pg", store), OperatorConfig())
    }
    pod = children["Deployment"]["spec"]["template"]["spec"]
    user, proxy = pod["containers"]
    assert proxy["name"] == names.PROXY_CONTAINER
    secrets = {"pg-creds": SECRET}
    # The image's entrypoint runs `python -m cloudstate_examples.<args[0]>`; here the module is run directly.
    user_function = Program(["-m", f"cloudstate_examples.{user['args'][0]}"], resolved_env(user, secrets))
    # HTTP_HOST only keeps the test on loopback; in a pod the proxy listens on every interface.
    sidecar = Program(["-m", "cloudstate_proxy"], {**resolved_env(proxy, secrets), "HTTP_HOST": "127.0.0.1"})
    probe = proxy["readinessProbe"]["httpGet"]
    ready_url = f"http://127.0.0.1:{container_port(proxy, probe['port'])}{probe['path']}"
    alive = proxy["livenessProbe"]["httpGet"]
    alive_url = f"http://127.0.0.1:{container_port(proxy, alive['port'])}{alive['path']}"
    service_ports = {p["name"]: container_port(proxy, p["targetPort"]) for p in children["Service"]["spec"]["ports"]}
    base = f"http://127.0.0.1:{service_ports[names.HTTP_PORT_NAME]}"
    assert sidecar.env["PGPASSWORD"] == PASSWORD
    assert PASSWORD not in sidecar.env["STORE"]
    with user_function, sidecar:
        user_function.start()
        sidecar.start()
        await until_ready(ready_url, user_function, sidecar)
        assert await status_of(alive_url) == 200
        assert await status_of(f"http://127.0.0.1:{service_ports[names.METRICS_PORT_NAME]}/metrics") == 200
        async with aiohttp.ClientSession(base_url=base) as http:
            body = {"productId": "apple", "name": "Apple", "quantity": 3}
            async with http.post("/cart/alice/items/add", json=body) as reply:
                assert reply.status == 200, await reply.text()

        # Both containers restart (as after a rollout): the cart must come back from PostgreSQL.
        await sidecar.stop()
        await user_function.stop()
        user_function.start()
        sidecar.start()
        await until_ready(ready_url, user_function, sidecar)
        async with aiohttp.ClientSession(base_url=base) as http, http.get("/carts/alice") as reply:
            assert reply.status == 200, await reply.text()
            assert await reply.json() == {"items": [{"productId": "apple", "name": "Apple", "quantity": 3}]}

        admin = await asyncpg.connect(postgres.dsn_for(database))
        try:
            users = await admin.fetch("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1", database)
            tables = await admin.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        finally:
            await admin.close()
        assert USER in {row["usename"] for row in users}, "the proxy logs in with the Secret's username"
        assert tables, "the proxy created its schema"
        assert {row["tableowner"] for row in tables} == {USER}
