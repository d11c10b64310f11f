"""Hypothesis state machines that check a user function (SDK conformance), one per protocol area.

Each machine takes the :class:`~tck.sdk.driver.UserFunction` under test and a
:class:`~tck.checks.Recorder`; :func:`run` runs one as a test.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import settings as Settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from tck.checks import Recorder
from tck.sdk.driver import UserFunction

MachineClass = Callable[[UserFunction, Recorder], RuleBasedStateMachine]


def run(machine: MachineClass, uf: UserFunction, rec: Recorder, settings: Settings) -> None:
    """Run the machine against ``uf``; a conformance failure raises after shrinking."""
    # Hypothesis accepts any zero-argument factory here, though its annotation names only classes.
    run_state_machine_as_test(lambda: machine(uf, rec), settings=settings)  # type: ignore[arg-type]


__all__ = ["run"]
