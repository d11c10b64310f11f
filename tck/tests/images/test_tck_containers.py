"""The TCK run against the project's container images: a short passing run, and containers that fail to serve.

Every test that starts containers compares `docker ps -a` before and after: whatever ends a run, the runner removes
what it started.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tck import cli
from tck.config import RunConfig
from tck.outcome import EXIT_NOT_RUN, EXIT_PASSED
from tck.processes import free_port
from tck.progress import Progress
from tck.runner import run
from tck.targets import Side
from tck.tests.images import docker_images


@pytest.fixture(scope="module")
def images() -> None:
    docker_images.images()


@pytest.fixture
def no_leftovers(images: None) -> Iterator[None]:
    """Fails the test when `docker ps -a` lists a container afterwards that it did not list before."""
    before = docker_images.containers()
    yield
    left = docker_images.containers() - before
    assert not left, f"containers left behind: {sorted(left)}"


def test_the_reference_images_pass_and_leave_no_container(no_leftovers: None, tmp_path: Path) -> None:
    args = ["--proxy-image", docker_images.PROXY_IMAGE, "--sdk-image", docker_images.SDK_IMAGE]
    short = ["--only", "proxy/discovery", "--only", "sdk/action", "--seed", "3", "--max-examples", "4", "--quiet"]
    status = cli.main(["run", *args, *short, "--report-dir", str(tmp_path), "--name", "images"])
    report = json.loads((tmp_path / "tck-images.json").read_text(encoding="utf-8"))
    assert status == EXIT_PASSED, report.get("error")
    assert {s["name"]: s["status"] for s in report["suites"]}["proxy/discovery"] == "passed"
    assert {s["name"]: s["status"] for s in report["suites"]}["sdk/action"] == "passed"
    sides = {side["role"]: side for side in report["sides"]}
    assert set(sides) == {"user-function", "proxy-user-function", "proxy"}
    for side in sides.values():
        assert side["command"].startswith("image cloudstate/")
        assert "tck: starting" in side["log_tail"]
        assert Path(side["log"]).is_file()
    assert "discovery" in sides["proxy"]["log_tail"]  # the proxy container's own output was collected


def test_the_image_flag_replaces_the_command_for_its_side() -> None:
    args = cli.parser().parse_args(["run", "--sdk", "python -m x", "--sdk-image", "example/uf:1"])
    assert args.sdk_image == Side(image="example/uf:1")
    assert args.sdk == Side(command="python -m x")  # run_command prefers the image


def test_a_container_that_exits_at_once_is_named_with_its_log_tail(no_leftovers: None, tmp_path: Path) -> None:
    # The TCK model cannot parse this PORT and exits as soon as it starts.
    side = Side(image=docker_images.SDK_IMAGE, env=(("PORT", "not-a-port"),))
    report = run(RunConfig(sdk=side, report_dir=tmp_path, name="exits", ready_timeout=60.0), Progress())
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "the user function container tck-user-function-" in report.error
    assert "exited with status" in report.error
    assert "not-a-port" in report.error  # the end of its log: the traceback names the bad value


def test_a_missing_image_is_a_clear_error(tmp_path: Path) -> None:
    docker_images.engine()
    report = run(RunConfig(sdk=Side(image="cloudstate/no-such-image:never"), report_dir=tmp_path), Progress())
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "cloudstate/no-such-image:never is not present" in report.error


def test_a_container_on_the_wrong_port_is_named_when_the_wait_ends(no_leftovers: None, tmp_path: Path) -> None:
    # The extra environment wins over the port the runner chose: the TCK model serves where nobody probes.
    side = Side(image=docker_images.SDK_IMAGE, env=(("PORT", str(free_port())),))
    began = time.monotonic()
    report = run(RunConfig(sdk=side, report_dir=tmp_path, name="elsewhere", ready_timeout=3.0), Progress())
    assert time.monotonic() - began < 3.0 + 20.0  # the wait, then stopping and removing the container
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "the user function container tck-user-function-" in report.error
    assert "did not become ready within 3 s" in report.error


def test_a_proxy_that_never_becomes_ready_is_named_and_every_container_removed(
    no_leftovers: None, tmp_path: Path
) -> None:
    # The proxy serves HTTP on another port than the one the runner waits on, so it never becomes ready there; the
    # user function container behind it (already up) must be removed as well.
    elsewhere = free_port()
    proxy = Side(image=docker_images.PROXY_IMAGE, env=(("HTTP_PORT", str(elsewhere)),))
    uf = Side(image=docker_images.SDK_IMAGE)
    config = RunConfig(proxy=proxy, proxy_user_function=uf, report_dir=tmp_path, name="never", ready_timeout=5.0)
    began = time.monotonic()
    report = run(config, Progress())
    assert time.monotonic() - began < 5.0 + 40.0  # the user function's start, the wait, the removals
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "the proxy container tck-proxy-" in report.error
    assert "(cloudstate/proxy:dev) did not become ready within 5 s" in report.error
    assert str(elsewhere) in report.error  # the end of its log: the proxy says where it does serve
    assert [side.role for side in report.sides] == ["proxy-user-function", "proxy"]
