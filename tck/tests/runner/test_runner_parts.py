"""The runner's parts on their own: targets, exclusion files, applicability, processes, failure records."""

from __future__ import annotations

import io
import shlex
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from cloudstate import entity_pb2
from cloudstate_protocol.requirements import load_registry
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tck.applicability import EVENTING_MODEL, Declared, requirement_reason
from tck.checks import Check, ConformanceError, Recorder
from tck.exclusions import ExclusionError, parse
from tck.failures import failures_of
from tck.machines import run_machine
from tck.processes import ManagedProcess, ProcessError, accepts, free_port
from tck.progress import StreamProgress
from tck.suites import Direction, Endpoint
from tck.targets import Side, default_name
from tck.tests.runner.running import processes_with

REGISTRY = {r.id: r for r in load_registry()}


def test_a_target_is_an_address_or_a_command() -> None:
    assert Side.parse("127.0.0.1:8080") == Side(endpoint=Endpoint("127.0.0.1", 8080))
    assert Side.parse("[::1]:9000") == Side(endpoint=Endpoint("::1", 9000))
    assert Side.parse("python -m x --port {port}") == Side(command="python -m x --port {port}")
    with pytest.raises(ValueError, match="empty target"):
        Side.parse("  ")
    sdk, proxy = Side(command="python -m cloudstate_sdk.tck_model"), Side(command="/opt/bin/proxy --x")
    assert default_name(sdk, proxy) == "proxy+cloudstate-sdk-tck-model"
    assert default_name(Side.parse("localhost:8080"), None) == "localhost-8080"


def test_exclusion_files_need_known_ids_and_reasons() -> None:
    known = ["VE-016", "ES-012"]
    assert parse("- id: VE-016\n  reason: known bug\n", known) == {"VE-016": "known bug"}
    assert parse("", known) == {}
    for text, problem in [
        ("- id: XX-001\n  reason: r\n", "XX-001 is not a requirement"),
        ("- id: VE-016\n  reason: ''\n", "VE-016 has no reason"),
        ("- id: VE-016\n  reason: a\n- id: VE-016\n  reason: b\n", "VE-016 is listed twice"),
        ("- VE-016\n", "needs exactly the keys id and reason"),
        ("VE-016: r\n", "expected a list"),
        ("- [", "not YAML"),
    ]:
        with pytest.raises(ExclusionError, match=problem):
            parse(text, known)


def test_requirements_apply_by_party_and_declared_capability() -> None:
    spec = entity_pb2.EntitySpec(
        entities=[entity_pb2.Entity(entity_type="cloudstate.eventsourced.EventSourced", service_name="a.B")]
    )
    declared = Declared.from_spec(spec)
    sdk: frozenset[Direction] = frozenset({"sdk"})
    proxy: frozenset[Direction] = frozenset({"proxy"})
    es_user_function = next(
        r for r in REGISTRY.values() if r.capability == "event-sourced" and r.binds == "user-function"
    )
    ve_user_function = next(
        r for r in REGISTRY.values() if r.capability == "value-entity" and r.binds == "user-function"
    )
    assert requirement_reason(es_user_function, sdk, declared) is None
    assert "declares no value-entity" in str(requirement_reason(ve_user_function, sdk, declared))
    assert "no proxy is under test" in str(requirement_reason(REGISTRY["ES-012"], sdk, declared))
    assert "no user function is under test" in str(requirement_reason(es_user_function, proxy, declared))
    # Before any discovery answered nothing is ruled out by capability: unchecked means untested.
    assert requirement_reason(ve_user_function, sdk, Declared()) is None
    info = entity_pb2.ProxyInfo(supported_entity_types=["cloudstate.valueentity.ValueEntity"])
    proxy_es = next(r for r in REGISTRY.values() if r.capability == "event-sourced" and r.binds == "proxy")
    reason = requirement_reason(proxy_es, proxy, Declared.from_spec(spec, info))
    assert "does not support event-sourced" in str(reason)
    # ProxyInfo lists entity types only: it rules out no other capability.
    eventing = entity_pb2.Entity(entity_type="cloudstate.action.ActionProtocol", service_name=EVENTING_MODEL + "X")
    with_eventing = Declared.from_spec(entity_pb2.EntitySpec(entities=[eventing]), info)
    proxy_eventing = next(r for r in REGISTRY.values() if r.capability == "eventing" and r.binds == "proxy")
    assert requirement_reason(proxy_eventing, proxy, with_eventing) is None


def test_a_process_is_started_restarted_and_stopped_with_its_log(tmp_path: Path) -> None:
    port = free_port()
    marker = f"tck-echo-{port}"
    server = (
        f"import socket, sys, time; s = socket.create_server(('127.0.0.1', {port})); print(sys.argv[1], flush=True)"
    )
    command = shlex.join([sys.executable, "-c", server + "; time.sleep(600)", marker])
    process = ManagedProcess("echo", command, {}, tmp_path / "echo.log", lambda: accepts("127.0.0.1", port), 20)
    try:
        process.start()
        first = process.pid
        process.restart()
        assert process.pid != first
        assert process.log_tail().splitlines().count(marker) == 2  # one run after the other, one log
    finally:
        process.stop()
    assert not processes_with(marker)
    process.stop()  # stopping twice is harmless


def test_a_process_that_exits_early_is_named(tmp_path: Path) -> None:
    process = ManagedProcess("thing", "echo broken >&2; exit 4", {}, tmp_path / "t.log", lambda: False, 20)
    with pytest.raises(ProcessError, match=r"(?s)the thing \(echo broken >&2; exit 4\) exited with status 4.*broken"):
        process.start()


BROKEN = Check("test.broken", ("VE-016",), "a check that fails once the machine has done two steps")


class FailsOnSecondStep(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.steps, self.rec = 0, Recorder()

    @rule(value=st.integers(0, 10))
    def step(self, value: int) -> None:
        self.steps += 1
        self.rec.require(BROKEN, self.steps < 2, f"step {self.steps} with {value}")


def test_a_machine_failure_becomes_a_record_with_its_program_and_seed() -> None:
    quick = settings(max_examples=20, stateful_step_count=5, database=None, deadline=None, print_blob=True)
    with pytest.raises(ConformanceError) as caught:
        run_machine(FailsOnSecondStep, quick, seed=3)
    [failure] = failures_of(caught.value, ["x > y"], 3)
    assert failure.requirements == ("VE-016",)
    assert failure.program.splitlines()[:3] == [
        "state = FailsOnSecondStep()",
        "state.step(value=0)",
        "state.step(value=0)",
    ]
    assert "@reproduce_failure(" in failure.program
    assert failure.transcript == ("x > y",)
    assert failure.seed == 3


def test_the_same_seed_draws_the_same_programs() -> None:
    drawn: list[list[int]] = [[], []]

    class Draws(RuleBasedStateMachine):
        target: ClassVar[list[int]] = []

        @rule(value=st.integers())
        def step(self, value: int) -> None:
            self.target.append(value)

    plain = settings(max_examples=5, stateful_step_count=3, database=None, phases=[Phase.generate])
    for run in drawn:
        Draws.target = run
        run_machine(Draws, plain, seed=42)
    assert drawn[0] == drawn[1]
    assert drawn[0]


def test_an_unexpected_error_becomes_a_record_without_requirements() -> None:
    [failure] = failures_of(KeyError("boom"), [], None)
    assert failure.requirements == ()
    assert "unexpected KeyError" in failure.message


def test_progress_is_one_plain_line_per_suite_event_off_a_terminal() -> None:
    out = io.StringIO()
    progress = StreamProgress(out)
    progress.suite_started("sdk/action")
    progress.update(3, 40)  # running counts are redrawn on terminals only
    progress.suite_finished("sdk/action", "passed", 12, 155, 0.31)
    assert out.getvalue() == "sdk/action: running\nsdk/action: passed (12 examples, 155 checks, 0.3 s)\n"
    terminal = io.StringIO()
    live = StreamProgress(terminal, interactive=True)
    live.suite_started("sdk/action")
    assert "sdk/action: 0 examples, 0 checks" in terminal.getvalue()


def test_python_dash_m_tck_is_the_command_line() -> None:
    listed = subprocess.run([sys.executable, "-m", "tck", "suites"], capture_output=True, text=True, check=True)
    assert {"sdk/discovery", "sdk/eventsourced", "sdk/valueentity", "sdk/action"} <= set(listed.stdout.split())
    usage = subprocess.run([sys.executable, "-m", "tck", "run"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "give --sdk, --proxy or both" in usage.stderr
