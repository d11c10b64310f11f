"""What a run is pointed at: for each side a command line to start or an address to connect to.

``--sdk`` and ``--proxy`` each take either ``HOST:PORT`` (something already
running) or a command line; ``--sdk-image`` and ``--proxy-image`` name a container
image instead (run by ``tck.containers`` on host networking). A command may contain
``{port}`` (replaced by the port it must serve on) and ``{python}`` (the interpreter
running the TCK, so that a permutation file can name the modules of the TCK's own
environment without relying on ``PATH``); a command and an image both get their
addresses in the environment:

- a user function: ``PORT`` and ``HOST`` (spec 01);
- a proxy: ``USER_FUNCTION_HOST`` and ``USER_FUNCTION_PORT`` (where the TCK's
  interceptor listens), ``HTTP_PORT`` and ``HTTP_HOST`` (its public port), and
  ``MANAGEMENT_PORT`` and ``METRICS_PORT`` on free ports so that several runs
  can share a machine; ``{user_function_port}`` is replaced too.

With a replica (``--proxy-replica``) the proxy side is started twice, the two
differing only in ports and ``REPLICA_ID`` (:func:`replica_pair`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import sys

from tck.suites import Endpoint

_ADDRESS = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
LOCALHOST = "127.0.0.1"
#: The reference proxy's CRDT heartbeat settings, short so that two replicas count each other as up within a second
#: (Vote tallies, MAJORITY and ALL writes); a side's own values win. Other proxies ignore them.
REPLICA_HEARTBEAT = {"CRDT_HEARTBEAT_INTERVAL": "200ms", "CRDT_LIVENESS_WINDOW": "3s"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of the target: a command or an image to start, or the endpoint of something already running."""

    command: str | None = None
    endpoint: Endpoint | None = None
    image: str | None = None
    #: Extra environment for a command or an image (a permutation's settings, e.g. the proxy's STORE).
    env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Side:
        text = text.strip()
        if not text:
            raise ValueError("an empty target: give a command line or HOST:PORT")
        address = _ADDRESS.match(text)
        if address:
            return cls(endpoint=Endpoint(address["host"].strip("[]"), int(address["port"])))
        return cls(command=text)

    @classmethod
    def of_image(cls, image: str) -> Side:
        if not image.strip():
            raise ValueError("an empty image name")
        return cls(image=image.strip())

    def with_env(self, env: dict[str, str]) -> Side:
        return dataclasses.replace(self, env=tuple(sorted({**dict(self.env), **env}.items())))

    def describe(self) -> str:
        if self.image is not None:
            return f"image {self.image}"
        return self.command if self.command is not None else self.target

    @property
    def target(self) -> str:
        assert self.endpoint is not None
        return self.endpoint.target


def user_function_env(port: int) -> dict[str, str]:
    return {"HOST": LOCALHOST, "PORT": str(port)}


def proxy_env(http_port: int, user_function_port: int, management_port: int, metrics_port: int) -> dict[str, str]:
    return {
        "USER_FUNCTION_HOST": LOCALHOST,
        "USER_FUNCTION_PORT": str(user_function_port),
        "HTTP_HOST": LOCALHOST,
        "HTTP_PORT": str(http_port),
        "MANAGEMENT_PORT": str(management_port),
        "METRICS_PORT": str(metrics_port),
    }


def substitute(command: str, port: int, user_function_port: int | None = None) -> str:
    command = command.replace("{port}", str(port)).replace("{python}", shlex.quote(sys.executable))
    if user_function_port is not None:
        command = command.replace("{user_function_port}", str(user_function_port))
    return command


def _in_command(side: Side, flag: str, variable: str) -> str | None:
    """A setting the command line itself gives (a flag, or a leading assignment): the environment cannot override it."""
    try:
        words = shlex.split(side.command or "")
    except ValueError:  # unbalanced quotes: the shell will complain when it runs it
        return None
    for index, word in enumerate(words):
        if word == flag and index + 1 < len(words):
            return words[index + 1]
        if word.startswith((f"{flag}=", f"{variable}=")):
            return word.split("=", 1)[1]
    return None


def _setting(side: Side, flag: str, variable: str) -> str | None:
    """A proxy setting as the proxy sees it: from its command line, the side's env, or (a command only) the TCK's own
    environment, which a command inherits and an image does not."""
    found = _in_command(side, flag, variable) or dict(side.env).get(variable)
    return found or (os.environ.get(variable) if side.command is not None else None)


def replica_refusal(side: Side) -> str | None:
    """Why this proxy side cannot get a replica (None: it can): the TCK must start it, on a shared durable store."""
    if side.endpoint is not None:
        return "--proxy-replica needs a proxy the TCK starts (a command or an image), not one at an address"
    if (_setting(side, "--store", "STORE") or "memory") == "memory":
        return (
            "--proxy-replica needs the proxy on a store both replicas share, but its store is the in-memory default: "
            "give it STORE=postgresql://... (or --store), or use store: postgresql in a permutation file"
        )
    if _in_command(side, "--replica-id", "REPLICA_ID") is not None:
        return "--proxy-replica gives each proxy its own REPLICA_ID: set it in the environment, not in the command"
    return None


def replica_pair(side: Side) -> tuple[Side, Side]:
    """The proxy side and its replica: the same, with short heartbeats, and distinct REPLICA_IDs (the proxy keeps
    its own when it has one, so that a restart leaves it the same replica)."""
    own = _setting(side, "--replica-id", "REPLICA_ID") or "tck-proxy"
    both = dataclasses.replace(side, env=()).with_env({**REPLICA_HEARTBEAT, **dict(side.env)})
    return both.with_env({"REPLICA_ID": own}), both.with_env({"REPLICA_ID": f"{own}-replica"})


def _slug(side: Side) -> str:
    if side.image is not None:
        return side.image.rsplit("/", 1)[-1].replace(":", "-")
    if side.command is None:
        return side.target.replace(":", "-")
    words = side.command.split()
    # "python -m package.module ..." names the module; otherwise the program's file name.
    word = words[words.index("-m") + 1] if "-m" in words[:-1] else words[0].rsplit("/", 1)[-1]
    return word.replace("_", "-").replace(".", "-")


def default_name(sdk: Side | None, proxy: Side | None) -> str:
    """A file-name-safe name for the target from its commands or addresses (``--name`` overrides it)."""
    parts = [_slug(side) for side in (proxy, sdk) if side is not None]
    name = "+".join(parts) or "target"
    return re.sub(r"[^A-Za-z0-9+\-]", "-", name).strip("-") or "target"


__all__ = [
    "LOCALHOST",
    "REPLICA_HEARTBEAT",
    "Side",
    "default_name",
    "proxy_env",
    "replica_pair",
    "replica_refusal",
    "substitute",
    "user_function_env",
]
