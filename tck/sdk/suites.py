"""The SDK-direction suites: the TCK plays the proxy against a user function serving the TCK model.

Each suite runs its area's state machine under the run's settings and seed,
then the area's golden scenarios, all with the shared recorder, and turns what
they raise into :class:`~tck.suites.Failure` records (requirement IDs, the
shrunk program, the transcript of the failing example, the seed). Discovery is
not a suite of its own kind: the runner calls :func:`discover_user_function`
first, because its answer decides which suites apply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from cloudstate import entity_pb2
from hypothesis.stateful import RuleBasedStateMachine

from tck.checks import ConformanceError, Recorder
from tck.failures import failures_of
from tck.golden import SCENARIOS
from tck.machines import run_machine
from tck.machines.action import ActionMachine
from tck.machines.crdt import CrdtMachine
from tck.machines.eventing import EventingMachine
from tck.machines.eventsourced import EventSourcedMachine
from tck.machines.valueentity import ValueEntityMachine
from tck.models import action, crdt, eventing, eventsourced, valueentity
from tck.sdk import discovery
from tck.sdk.driver import UserFunction
from tck.sdk.streams import Closed
from tck.suites import Failure, RunContext, Suite, SuiteResult
from tck.tracking import CountingRecorder

#: How long the TCK waits for any one answer. Generous: a slow machine must not look like a silent user function.
TIMEOUT = 10.0
DISCOVERY = "sdk/discovery"

Machine = Callable[[UserFunction, Recorder], RuleBasedStateMachine]


def _start_example(ctx: RunContext) -> None:
    ctx.transcript.clear()
    if isinstance(ctx.recorder, CountingRecorder):
        ctx.recorder.start_example()


def _connect(ctx: RunContext) -> UserFunction:
    return UserFunction(ctx.user_function.target, TIMEOUT, ctx.transcript)


def _run(ctx: RunContext, *, name: str, machine: Machine, area: str) -> SuiteResult:
    uf = _connect(ctx)
    failures: list[Failure] = []
    examples = 0

    def factory() -> RuleBasedStateMachine:
        nonlocal examples
        examples += 1
        ctx.transcript.clear()  # the transcript of a failure is the failing example's alone
        return machine(uf, ctx.recorder)

    try:
        try:
            run_machine(factory, ctx.settings, ctx.seed)
        except Exception as error:
            failures += failures_of(error, ctx.transcript, ctx.seed)
        for scenario in SCENARIOS[area].values():
            examples += 1
            _start_example(ctx)
            try:
                scenario(uf, ctx.recorder)
            except Exception as error:
                replay = f"# golden scenario\n{scenario.__module__}.{scenario.__qualname__}(user_function, recorder)"
                failures += failures_of(error, ctx.transcript, ctx.seed, replay)
    finally:
        uf.close()
    return SuiteResult(name, examples, tuple(failures))


def _suite(name: str, capability: str, machine: Machine, services: Sequence[str]) -> Suite:
    return Suite(
        name, "sdk", capability, tuple(services), functools.partial(_run, name=name, machine=machine, area=capability)
    )


def sdk_suites() -> list[Suite]:
    """The SDK-direction suites, one per protocol area the TCK model covers."""
    return [
        _suite(
            "sdk/eventsourced",
            "event-sourced",
            EventSourcedMachine,
            (eventsourced.SERVICE, eventsourced.TWO, eventsourced.CONFIGURED),
        ),
        _suite(
            "sdk/valueentity",
            "value-entity",
            ValueEntityMachine,
            (valueentity.SERVICE, valueentity.TWO, valueentity.CONFIGURED),
        ),
        _suite("sdk/action", "action", ActionMachine, (action.SERVICE, action.TWO)),
        _suite("sdk/crdt", "crdt", CrdtMachine, (crdt.SERVICE, crdt.TWO, crdt.CONFIGURED)),
        _suite("sdk/eventing", "eventing", EventingMachine, (eventing.SUBSCRIBER, eventing.ONE, eventing.TWO)),
    ]


def discover_user_function(ctx: RunContext) -> tuple[SuiteResult, entity_pb2.EntitySpec | None]:
    """Check discovery (``tck.sdk.discovery``) and return the EntitySpec, also when a check of it failed."""
    uf = _connect(ctx)
    try:
        _start_example(ctx)
        try:
            return SuiteResult(DISCOVERY, 1), discovery.discover(uf, ctx.recorder).spec
        except ConformanceError as error:
            replay = "tck.sdk.discovery.discover(user_function, recorder)"
            failures = failures_of(error, ctx.transcript, ctx.seed, replay)
            # A failed check stops discover(); ask once more so that the suites can still learn what is declared.
            spec = uf.discover(discovery.PROXY_INFO)
            return SuiteResult(DISCOVERY, 1, failures), None if isinstance(spec, Closed) else spec
    finally:
        uf.close()


__all__ = ["DISCOVERY", "TIMEOUT", "discover_user_function", "sdk_suites"]
