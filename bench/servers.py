"""Bring up what the load generator talks to: the bare echo server, and the proxy with the shopping cart behind it.

Each proxy gets a user function of its own (``python -m
cloudstate_examples.shoppingcart``) so that two proxies never share entity
processes or memory. Everything started here is registered on the caller's
``ExitStack`` and stopped in reverse order (proxy, then user function, then
the database).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from functools import partial
from pathlib import Path

from children import Child, accepts_connections, answers_ready, free_port, script

#: Long enough that no entity is passivated between repetitions: the figures are for active entities.
PASSIVATION_TIMEOUT = "10m"


@dataclasses.dataclass
class Server:
    """A running server: the process measured for memory, the ports a scenario can target."""

    child: Child
    ports: dict[str, int]
    user_function: Child | None = None


def start_echo(stack: contextlib.ExitStack, logs: Path) -> Server:
    port = free_port()
    child = Child("echo", [script("echo_server.py"), str(port)], logs)
    stack.callback(child.stop)
    child.wait_until(partial(accepts_connections, port))
    return Server(child, {"public": port})


def start_proxy(stack: contextlib.ExitStack, logs: Path, name: str, store: str) -> Server:
    """The proxy on ``store`` ("memory" or a PostgreSQL URL), ready to serve, in front of its own shopping cart."""
    uf_port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(uf_port)}
    user_function = Child(f"{name}-user-function", ["-m", "cloudstate_examples.shoppingcart"], logs, env)
    stack.callback(user_function.stop)
    user_function.wait_until(partial(accepts_connections, uf_port))

    public, grpc_port, management, metrics = (free_port() for _ in range(4))
    flags = {
        "--user-function-port": uf_port,
        "--http-host": "127.0.0.1",
        "--http-port": public,
        "--grpc-port": grpc_port,
        "--management-port": management,
        "--metrics-port": metrics,
        "--store": store,
        "--passivation-timeout": PASSIVATION_TIMEOUT,
        "--discovery-backoff-min": "100ms",
        "--discovery-backoff-max": "500ms",
        "--shutdown-grace": "2s",
    }
    args = ["-m", "cloudstate_proxy", *(str(part) for pair in flags.items() for part in pair)]
    proxy = Child(name, args, logs)
    stack.callback(proxy.stop)
    proxy.wait_until(partial(answers_ready, management))
    return Server(proxy, {"public": public, "grpc": grpc_port}, user_function)


def start_postgres(stack: contextlib.ExitStack) -> str:
    """A throwaway PostgreSQL server with an empty database; returns the proxy's store URL for it."""
    from cloudstate_proxy.testing import TemporaryPostgres

    postgres = stack.enter_context(TemporaryPostgres())
    return postgres.create_database("bench")
