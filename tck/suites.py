"""What a TCK run is made of: suites, the context they run in, and their results.

A *suite* checks one protocol area in one direction (``sdk/eventsourced``:
the TCK plays the proxy against a user function; ``proxy/eventsourced``: the
TCK is the proxy's client and intercepts its traffic with the user function).
The runner (``tck.runner``) discovers what the implementation declares, starts
or connects to the processes, runs the applicable suites with one shared
:class:`~tck.checks.Recorder`, and hands the results to the report writers
(``tck.reporting``). Suites never start processes themselves: everything they
talk to comes in the :class:`RunContext`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import hypothesis

from tck.checks import Recorder

Direction = Literal["sdk", "proxy"]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @property
    def target(self) -> str:
        """The address in gRPC's ``host:port`` form."""
        return f"{self.host}:{self.port}"


class Restartable(Protocol):
    """A process the runner started and can bring down and up again (a lifecycle fault)."""

    def restart(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after a grace period) and start it again; return when it is ready."""
        ...

    def log_tail(self, lines: int = 50) -> str:
        """The last lines of the process's output, for failure reports."""
        ...


@dataclasses.dataclass
class RunContext:
    """Everything a suite may use; fields that do not apply to a direction are None."""

    recorder: Recorder
    settings: hypothesis.settings
    #: SDK direction: the user function under test. Proxy direction: the user function behind the interceptor.
    user_function: Endpoint
    #: Proxy direction only: the proxy's public port (gRPC and HTTP/JSON).
    proxy: Endpoint | None = None
    #: Proxy direction only: where the interceptor listens; the proxy's USER_FUNCTION_PORT points here.
    interceptor: Endpoint | None = None
    proxy_process: Restartable | None = None
    #: Proxy direction only: the public port of a second proxy serving the same services from the same store
    #: (a replica, e.g. both on one PostgreSQL database), whose user-function port also points at the interceptor.
    #: Without it the replication rules of the CRDT suite stay untested.
    replica: Endpoint | None = None
    user_function_process: Restartable | None = None
    #: Lines describing protocol messages of the example being run; suites append, the runner clears per example.
    transcript: list[str] = dataclasses.field(default_factory=list)
    #: The seed to draw programs from (``tck.machines.run_machine``); None lets Hypothesis choose.
    seed: int | None = None


@dataclasses.dataclass(frozen=True)
class Failure:
    """How a suite failed: the requirement IDs, the message, and how to reproduce it."""

    requirements: tuple[str, ...]
    message: str
    #: The shrunk steps as a runnable program (Hypothesis's falsifying example), when a machine failed.
    program: str = ""
    #: The protocol transcript of the failing example.
    transcript: tuple[str, ...] = ()
    seed: int | None = None


@dataclasses.dataclass(frozen=True)
class SuiteResult:
    name: str
    examples: int
    failures: tuple[Failure, ...] = ()
    #: Set when the suite could not run at all (e.g. a process did not come up); the message says why.
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class Suite:
    """A named, runnable group of machines and golden scenarios for one area and direction."""

    name: str  # e.g. "sdk/eventsourced", "proxy/valueentity"
    direction: Direction
    #: A capability of spec/requirements.yaml: event-sourced, value-entity, action, crdt, eventing, core or http.
    capability: str
    #: The TCK model services (full names) the implementation must declare for this suite to apply.
    services: Sequence[str]
    run: Callable[[RunContext], SuiteResult]
