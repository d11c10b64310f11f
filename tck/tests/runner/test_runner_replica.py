"""``python -m tck run --proxy ... --proxy-replica``: a second reference proxy on the same PostgreSQL database.

The replica runs only make sense on a store both proxies share, so they use a
throwaway PostgreSQL server (``cloudstate_proxy.testing.TemporaryPostgres``)
and skip without PostgreSQL's binaries; the refusals need neither.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tck import cli
from tck.config import RunConfig
from tck.outcome import EXIT_NOT_RUN
from tck.processes import accepts
from tck.progress import Progress
from tck.runner import run
from tck.targets import REPLICA_HEARTBEAT, Side, replica_pair, replica_refusal
from tck.tests.runner.running import processes_with, run_tck, statuses

PROXY = shlex.join([sys.executable, "-m", "cloudstate_proxy"])
# Rules that only a replica exercises (tck/proxy/crdt_checks.py: remote deltas, consistency, votes, remote deletes).
REPLICATED = {"CRDT-028", "CRDT-039", "CRDT-075", "CRDT-VOTE-007", "CRDT-072"}
_REFERENCE = importlib.util.find_spec("cloudstate_proxy") is not None and importlib.util.find_spec("cloudstate_sdk")
needs_reference = pytest.mark.skipif(
    not _REFERENCE, reason="the reference proxy and SDK (reference/) are not installed"
)


@pytest.fixture(scope="module")
def store() -> Iterator[str]:
    """A PostgreSQL database URL both proxies share."""
    testing = pytest.importorskip("cloudstate_proxy.testing", reason="the reference proxy is not installed")
    try:
        server = testing.TemporaryPostgres()
    except testing.PostgresNotInstalled as missing:
        pytest.skip(str(missing))
    with server:
        yield server.create_database("tck_replica")


def test_the_replica_is_the_proxy_with_its_own_replica_id_and_short_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICA_ID", raising=False)
    image = Side(image="p:1", env=(("REPLICA_ID", "mine"), ("STORE", "postgresql://x")))
    main, replica = replica_pair(image)
    assert dict(main.env) == {**REPLICA_HEARTBEAT, "REPLICA_ID": "mine", "STORE": "postgresql://x"}
    assert dict(replica.env) == {**REPLICA_HEARTBEAT, "REPLICA_ID": "mine-replica", "STORE": "postgresql://x"}
    main, replica = replica_pair(Side(command="proxy --store postgresql://x", env=(("CRDT_LIVENESS_WINDOW", "9s"),)))
    assert (dict(main.env)["REPLICA_ID"], dict(replica.env)["REPLICA_ID"]) == ("tck-proxy", "tck-proxy-replica")
    assert dict(main.env)["CRDT_LIVENESS_WINDOW"] == dict(replica.env)["CRDT_LIVENESS_WINDOW"] == "9s"


def test_a_replica_needs_a_started_proxy_on_a_shared_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORE", raising=False)
    for refused in (Side(command="proxy"), Side(image="p:1"), Side(image="p:1", env=(("STORE", "memory"),))):
        assert "the in-memory default" in str(replica_refusal(refused))
    assert "not one at an address" in str(replica_refusal(Side.parse("127.0.0.1:9000")))
    assert "REPLICA_ID" in str(replica_refusal(Side(command="proxy --store pg://x --replica-id a")))
    for accepted in (Side(command="proxy --store=pg://x"), Side(command="STORE=pg://x proxy")):
        assert replica_refusal(accepted) is None
    assert replica_refusal(Side(image="p:1", env=(("STORE", "pg://x"),))) is None
    monkeypatch.setenv("STORE", "pg://x")  # a command inherits the TCK's environment, an image does not
    assert replica_refusal(Side(command="proxy")) is None
    assert replica_refusal(Side(image="p:1")) is not None


def test_a_replica_of_an_in_memory_proxy_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STORE", raising=False)
    status = cli.main(["run", "--proxy", PROXY, "--proxy-replica", "--report-dir", str(tmp_path), "--quiet"])
    assert status == EXIT_NOT_RUN
    assert "--proxy-replica needs the proxy on a store both replicas share" in capsys.readouterr().err
    report = run(RunConfig(proxy=Side(command=PROXY), proxy_replica=True, report_dir=tmp_path), Progress())
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "in-memory default" in report.error
    assert report.sides == ()  # refused before the user function behind the proxy started


@needs_reference
def test_the_crdt_replication_rules_pass_with_a_replica(tmp_path: Path, store: str) -> None:
    proxy = f"{PROXY} --store {shlex.quote(store)}"
    status, report = run_tck(
        tmp_path, "--proxy", proxy, "--proxy-replica", "--proxy-restartable", "--only", "proxy/crdt"
    )
    suites = {suite["name"]: suite for suite in report["suites"]}
    assert status == 0, suites["proxy/crdt"]
    found = statuses(report)
    assert {rid: found[rid] for rid in REPLICATED} == dict.fromkeys(REPLICATED, "passed")
    sides = {side["role"]: side for side in report["sides"]}
    assert list(sides) == ["proxy-user-function", "proxy", "proxy-replica"]
    assert sides["proxy-replica"]["address"] != sides["proxy"]["address"]
    assert sides["proxy-replica"]["log_tail"]
    assert "tck: starting proxy replica" in Path(sides["proxy-replica"]["log"]).read_text(encoding="utf-8")
    for side in sides.values():  # everything the run started is gone
        host, port = side["address"].rsplit(":", 1)
        assert not accepts(host, int(port))
    assert not processes_with(store)


@needs_reference
def test_a_replica_that_never_becomes_ready_is_named_and_everything_stopped(tmp_path: Path, store: str) -> None:
    # The same command for both; only the replica (REPLICA_ID tck-proxy-replica) hangs instead of serving.
    hang = shlex.join([sys.executable, "-c", "import time; time.sleep(300)", store])
    proxy = f'if [ "$REPLICA_ID" = tck-proxy-replica ]; then exec {hang}; fi; exec {PROXY} --store {shlex.quote(store)}'
    config = RunConfig(proxy=Side(command=proxy), proxy_replica=True, report_dir=tmp_path, ready_timeout=8.0)
    report = run(config, Progress())
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error is not None
    assert "the proxy replica (" in report.error
    assert "did not become ready within 8 s" in report.error
    assert [side.role for side in report.sides] == ["proxy-user-function", "proxy", "proxy-replica"]
    assert not processes_with(store)
