"""``python -m tck run --proxy ...``: the reference proxy, with the reference SDK's TCK model behind the interceptor."""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path

import pytest

from tck.processes import accepts
from tck.tests.runner.running import fake_command, run_tck, statuses

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudstate_proxy") is None or importlib.util.find_spec("cloudstate_sdk") is None,
    reason="the reference proxy and SDK (reference/) are not installed",
)

PROXY = shlex.join([sys.executable, "-m", "cloudstate_proxy"])


def test_the_proxy_direction_starts_user_function_interceptor_and_proxy(tmp_path: Path) -> None:
    status, report = run_tck(tmp_path, "--proxy", PROXY, "--only", "proxy/discovery")
    assert status == 0, report["suites"]
    assert report["directions"] == ["proxy"]
    assert report["implementation"]["proxy"]["proxy_name"] == "cloudstate-python-proxy"
    assert "cloudstate.valueentity.ValueEntity" in report["implementation"]["proxy"]["supported_entity_types"]
    found = statuses(report)
    assert found["DISC-001"] == "passed"  # a proxy requirement, checked through the interceptor
    assert found["DISC-004"] == "not-applicable"  # the user function is not under test in a proxy-only run
    sides = {side["role"]: side for side in report["sides"]}
    assert set(sides) == {"proxy-user-function", "proxy"}
    assert "cloudstate_sdk.tck_model" in str(sides["proxy-user-function"]["command"])  # the default behind the proxy
    assert sides["proxy"]["log_tail"]
    for side in sides.values():  # everything the run started is gone
        host, port = side["address"].rsplit(":", 1)
        assert not accepts(host, int(port))


def test_both_directions_run_with_the_sdk_side_behind_the_proxy(tmp_path: Path) -> None:
    args = ["--sdk", fake_command(), "--proxy", PROXY, "--only", "sdk/action", "--only", "proxy/discovery"]
    status, report = run_tck(tmp_path, *args)
    assert status == 0, report["suites"]
    assert report["directions"] == ["sdk", "proxy"]
    assert [side["role"] for side in report["sides"]] == ["user-function", "proxy-user-function", "proxy"]
    assert "fake_server" in str(report["sides"][1]["command"])
    found = statuses(report)
    assert found["TCKM-053"] == found["DISC-001"] == found["DISC-004"] == "passed"
