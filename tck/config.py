"""The options of a run (``python -m tck run ...``), and the Hypothesis settings they give."""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import hypothesis
from cloudstate_protocol import PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION

from tck import settings as profiles
from tck.suites import Direction
from tck.targets import Side, default_name

#: The reference SDK's TCK model process (with the TCK's own interpreter): the user function behind the proxy
#: when no other is given.
REFERENCE_USER_FUNCTION = f"{shlex.quote(sys.executable)} -m cloudstate_sdk.tck_model"
#: Where requirement links point by default: the spec HTML that ``nox -s spec`` builds, seen from reports/.
DEFAULT_SPEC_URL = "../dist/spec/html"
SPEC_VERSION = f"{PROTOCOL_MAJOR_VERSION}.{PROTOCOL_MINOR_VERSION}"


@dataclasses.dataclass(frozen=True)
class RunConfig:
    sdk: Side | None = None
    proxy: Side | None = None
    #: The user function behind the proxy (proxy direction); default: the --sdk side, else the reference SDK's.
    proxy_user_function: Side | None = None
    #: For a proxy already running: the port its USER_FUNCTION_PORT points at, where the interceptor must listen.
    interceptor_port: int | None = None
    #: The proxy keeps its state across restarts (a durable store), so the proxy suites may restart it.
    proxy_restartable: bool = False
    #: Start a second proxy like the first (same store, own ports and REPLICA_ID) as RunContext.replica.
    proxy_replica: bool = False
    profile: str = "quick"
    seed: int | None = None
    exclusions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    report_dir: Path = Path("reports")
    only: tuple[str, ...] = ()
    name: str | None = None
    max_examples: int | None = None
    max_steps: int | None = None
    #: False reports the first failing program as found (faster triage; longer programs).
    shrink: bool = True
    ready_timeout: float = 30.0
    spec_url: str = DEFAULT_SPEC_URL

    @property
    def target_name(self) -> str:
        return self.name or default_name(self.sdk, self.proxy)

    @property
    def directions(self) -> tuple[Direction, ...]:
        found: list[Direction] = []
        if self.sdk is not None:
            found.append("sdk")
        if self.proxy is not None:
            found.append("proxy")
        return tuple(found)

    @property
    def behind_proxy(self) -> Side:
        """The user function the proxy direction puts behind the proxy."""
        return self.proxy_user_function or self.sdk or Side(command=REFERENCE_USER_FUNCTION)


def tck_version() -> str:
    try:
        return version("cloudstate-tck")
    except PackageNotFoundError:
        return "unknown"


def hypothesis_settings(config: RunConfig) -> hypothesis.settings:
    """The profile with the run's overrides; no example database, so that the seed alone decides the programs."""
    overrides: dict[str, object] = {"database": None, "derandomize": False, "report_multiple_bugs": False}
    if config.max_examples is not None:
        overrides["max_examples"] = config.max_examples
    if config.max_steps is not None:
        overrides["stateful_step_count"] = config.max_steps
    if not config.shrink:
        overrides["phases"] = [
            p for p in hypothesis.Phase if p not in (hypothesis.Phase.shrink, hypothesis.Phase.explain)
        ]
    return hypothesis.settings(profiles.profile(config.profile), **overrides)  # type: ignore[arg-type]


__all__ = [
    "DEFAULT_SPEC_URL",
    "REFERENCE_USER_FUNCTION",
    "SPEC_VERSION",
    "RunConfig",
    "hypothesis_settings",
    "tck_version",
]
