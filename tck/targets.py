"""What a run is pointed at: for each side a command line to start or an address to connect to.

``--sdk`` and ``--proxy`` each take either ``HOST:PORT`` (something already
running) or a command line; ``--sdk-image`` and ``--proxy-image`` name a container
image instead (run by ``tck.containers`` on host networking). A command may contain
``{port}`` (replaced by the port it must serve on); a command and an image both get
their addresses in the environment:

- a user function: ``PORT`` and ``HOST`` (spec 01);
- a proxy: ``USER_FUNCTION_HOST`` and ``USER_FUNCTION_PORT`` (where the TCK's
  interceptor listens), ``HTTP_PORT`` and ``HTTP_HOST`` (its public port), and
  ``MANAGEMENT_PORT`` and ``METRICS_PORT`` on free ports so that several runs
  can share a machine; ``{user_function_port}`` is replaced too.
"""

from __future__ import annotations

import dataclasses
import re

from tck.suites import Endpoint

_ADDRESS = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")
LOCALHOST = "127.0.0.1"


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
    command = command.replace("{port}", str(port))
    if user_function_port is not None:
        command = command.replace("{user_function_port}", str(user_function_port))
    return command


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


__all__ = ["LOCALHOST", "Side", "default_name", "proxy_env", "substitute", "user_function_env"]
