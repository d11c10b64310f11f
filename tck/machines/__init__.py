"""Hypothesis state machines that check a user function (SDK conformance), one per protocol area.

Each machine takes the :class:`~tck.sdk.driver.UserFunction` under test and a
:class:`~tck.checks.Recorder`; :func:`run` runs one as a test, and
:func:`run_machine` runs any machine factory, optionally from a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable

import hypothesis
from hypothesis import settings as Settings
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, run_state_machine_as_test

from tck.checks import Recorder
from tck.sdk.driver import UserFunction

MachineClass = Callable[[UserFunction, Recorder], RuleBasedStateMachine]


def run_machine(factory: Callable[[], RuleBasedStateMachine], settings: Settings, seed: int | None = None) -> None:
    """Run the machine that ``factory`` makes, once per example; a failure raises after shrinking.

    With a ``seed`` the programs are drawn from it (as ``@hypothesis.seed`` does for a test), so a run
    against an implementation that answers deterministically repeats exactly; without one Hypothesis
    draws a fresh seed.
    """
    if seed is None:
        # Hypothesis accepts any zero-argument factory here, though its annotation names only classes.
        run_state_machine_as_test(factory, settings=settings)  # type: ignore[arg-type]
        return
    test = get_state_machine_test(factory, settings=settings)  # type: ignore[arg-type]
    hypothesis.seed(seed)(test)()


def run(machine: MachineClass, uf: UserFunction, rec: Recorder, settings: Settings, seed: int | None = None) -> None:
    """Run the machine against ``uf``; a conformance failure raises after shrinking."""
    run_machine(lambda: machine(uf, rec), settings, seed)


__all__ = ["run", "run_machine"]
