"""The proxy-direction suites: ``proxy/discovery``, ``proxy/eventsourced``, ``proxy/valueentity``, ``proxy/action``,
``proxy/crdt``.

The runner calls ``suite.run(ctx)`` with a :class:`~tck.suites.RunContext`
whose ``proxy`` is the proxy's public port and whose ``interceptor`` is the
endpoint of an :class:`~tck.proxy.interceptor.Interceptor` it started in this
process (the proxy's ``USER_FUNCTION_PORT`` points at it). Each suite runs its
fixed scenarios, then its state machine with ``ctx.settings``; every
conformance failure becomes a :class:`~tck.suites.Failure` with the
requirement IDs, the shrunk program and the transcript of the failing example.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence

from hypothesis.stateful import RuleBasedStateMachine

from tck.failures import failures_of
from tck.machines import run_machine
from tck.models import action, crdt, eventsourced, valueentity
from tck.proxy import discovery, faults, golden
from tck.proxy.action import ProxyActionMachine
from tck.proxy.client import ProxyClient
from tck.proxy.crdt import ProxyCrdtMachine
from tck.proxy.crdt_golden import CRDT_SCENARIOS
from tck.proxy.eventsourced import ProxyEventSourcedMachine
from tck.proxy.harness import Bounds, Harness
from tck.proxy.http_machine import ProxyHttpMachine
from tck.proxy.http_scenarios import SCENARIOS as HTTP_SCENARIOS
from tck.proxy.interceptor import find
from tck.proxy.lifecycle import EnvironmentFailure
from tck.proxy.valueentity import ProxyValueEntityMachine
from tck.suites import Failure, RunContext, Suite, SuiteResult

Machine = Callable[[Harness], RuleBasedStateMachine]


def proxy_suites(bounds: Bounds | None = None) -> list[Suite]:
    """The proxy-direction suites; ``bounds`` changes how long they wait (tests shorten the passivation bound)."""

    def suite(name: str, capability: str, services: Sequence[str], scenarios: Mapping[str, golden.Scenario],
              machine: Machine | None) -> Suite:  # fmt: skip
        return Suite(name, "proxy", capability, tuple(services), lambda ctx: run(name, ctx, scenarios, machine, bounds))

    es, ve = eventsourced, valueentity
    return [
        suite("proxy/discovery", "core", (), {"discovery": _discovery}, None),
        suite(
            "proxy/eventsourced",
            "event-sourced",
            (es.SERVICE, es.TWO, es.CONFIGURED),
            golden.ES_SCENARIOS,
            ProxyEventSourcedMachine,
        ),
        suite(
            "proxy/valueentity",
            "value-entity",
            (ve.SERVICE, ve.TWO, ve.CONFIGURED),
            golden.VE_SCENARIOS,
            ProxyValueEntityMachine,
        ),
        suite("proxy/action", "action", (action.SERVICE, action.TWO), golden.ACTION_SCENARIOS, ProxyActionMachine),
        suite(
            "proxy/http",
            "http",
            (action.SERVICE, action.TWO, ve.SERVICE, ve.TWO, es.SERVICE),
            HTTP_SCENARIOS,
            ProxyHttpMachine,
        ),
        suite("proxy/crdt", "crdt", (crdt.SERVICE, crdt.TWO, crdt.CONFIGURED), CRDT_SCENARIOS, ProxyCrdtMachine),
        suite(faults.NAME, faults.CAPABILITY, faults.SERVICES, faults.SCENARIOS, faults.MACHINE),
    ]


def _discovery(h: Harness) -> None:
    h.ctx.transcript.clear()
    discovery.check_discovery(h)
    discovery.check_exposed(h)


def run(
    name: str,
    ctx: RunContext,
    scenarios: Mapping[str, golden.Scenario],
    machine: Machine | None,
    bounds: Bounds | None = None,
) -> SuiteResult:
    interceptor = find(ctx.interceptor) if ctx.interceptor is not None else None
    if interceptor is None or ctx.proxy is None:
        return SuiteResult(name, 0, error="the proxy suites need ctx.proxy and an Interceptor running in this process")
    failures: list[Failure] = []
    examples = 0
    with contextlib.closing(ProxyClient(ctx.proxy)) as client:
        h = Harness(ctx, interceptor, client, bounds)
        try:
            for scenario_name, scenario in scenarios.items():
                if failures and h.bounds.fail_fast:
                    break
                examples += 1
                ctx.transcript.clear()  # the transcript of a failure is the failing scenario's alone
                try:
                    scenario(h)
                except EnvironmentFailure:
                    raise
                except Exception as error:
                    where = f"{scenario.__module__}.{scenario.__qualname__}"
                    replay = f"# golden scenario {name}:{scenario_name}\n{where}(harness)"
                    failures += failures_of(error, ctx.transcript, ctx.seed, replay)
            # The machine runs from the run's seed, so a failing program repeats with `--seed`.
            if machine is not None and not (failures and h.bounds.fail_fast):
                counted = _Counted(machine, h)
                try:
                    run_machine(counted, ctx.settings, ctx.seed)
                except EnvironmentFailure:
                    raise
                except Exception as error:
                    failures += failures_of(error, ctx.transcript, ctx.seed)
                examples += counted.count
        except EnvironmentFailure as error:
            return SuiteResult(name, examples, tuple(failures), error=str(error))
        except Exception as error:  # a TCK bug or a broken environment: the suite could not judge the proxy
            return SuiteResult(name, examples, tuple(failures), error=f"{type(error).__name__}: {error}")
    return SuiteResult(name, examples, tuple(failures))


class _Counted:
    """A machine factory that counts the examples Hypothesis runs."""

    def __init__(self, machine: Machine, h: Harness) -> None:
        self.machine, self.h, self.count = machine, h, 0

    def __call__(self) -> RuleBasedStateMachine:
        self.count += 1
        return self.machine(self.h)
