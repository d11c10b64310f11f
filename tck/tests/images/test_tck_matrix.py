"""The permutation file and the conformance matrix: small pairs as processes and as images, then the matrix files."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from tck import matrix
from tck.outcome import EXIT_NOT_RUN
from tck.progress import Progress
from tck.targets import Side
from tck.tests.images import docker_images

_REFERENCE = Path(__file__).resolve().parents[3] / "reports" / "permutations.yaml"


def _python(module: str) -> str:
    return f"{shlex.quote(sys.executable)} -m {module}"


def test_two_small_pairs_give_a_matrix_linking_their_reports(tmp_path: Path) -> None:
    pytest.importorskip("cloudstate_sdk", reason="the reference SDK (reference/sdk) is not installed")
    pytest.importorskip("cloudstate_proxy", reason="the reference proxy (reference/proxy) is not installed")
    permutations = tmp_path / "permutations.yaml"
    permutations.write_text(
        f"""
defaults: {{seed: 5, max_examples: 3, max_steps: 6}}
pairs:
  - name: both-ways
    proxy: {{command: "{_python("cloudstate_proxy")}"}}
    sdk: {{command: "{_python("cloudstate_sdk.tck_model")}", env: {{TCK_MATRIX_TEST: "1"}}}}
    only: [sdk/action, proxy/discovery]
  - name: sdk-only
    sdk: {{command: "{_python("cloudstate_sdk.tck_model")}"}}
    only: [sdk/discovery]
""",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    assert matrix.matrix_command(permutations, out, (), Progress()) == 0
    data = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    assert [row["name"] for row in data["pairs"]] == ["both-ways", "sdk-only"]
    both, sdk_only = data["pairs"]
    assert both["suites"]["sdk/action"] == "passed"
    assert both["suites"]["proxy/discovery"] == "passed"
    assert sdk_only["suites"]["sdk/discovery"] == "passed"
    assert "proxy/discovery" not in sdk_only["suites"]
    assert both["capabilities"]["action"]["counts"]["passed"] > 0
    assert both["groups"]["ACT"]["counts"]["passed"] > 0
    assert {"core", "action"} <= set(data["capabilities"])
    assert {"TRN", "DISC", "ACT"} <= set(data["groups"])
    for name in ("both-ways", "sdk-only"):
        assert (out / f"tck-{name}.html").is_file()
        assert (out / f"tck-{name}.json").is_file()
        assert f'href="tck-{name}.html"' in (out / "matrix.html").read_text(encoding="utf-8")
        assert f"[{name}](tck-{name}.html)" in (out / "matrix.md").read_text(encoding="utf-8")
    _every_link_resolves(out)


def _every_link_resolves(out: Path) -> None:
    """Every cell of the HTML and Markdown matrix links to a report file beside it, and to an anchor it has."""
    links = re.findall(r'href="([^"]+)"', (out / "matrix.html").read_text(encoding="utf-8"))
    links += re.findall(r"\]\(([^)]+)\)", (out / "matrix.md").read_text(encoding="utf-8"))
    assert links
    for link in links:
        file, _, anchor = link.partition("#")
        assert (out / file).is_file(), link
        if anchor:
            assert f'id="{anchor}"' in (out / file).read_text(encoding="utf-8"), link


def test_settings_come_from_the_defaults_then_the_pair_then_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        """
defaults: {profile: quick, seed: 1, max_examples: 50, exclusions: [{id: TCKM-060, reason: known}]}
pairs:
  - {name: a, sdk: {command: x}, max_examples: 7, only: [sdk/action]}
  - {name: b, sdk: {command: x}, exclusions: known.yaml, shrink: false}
""",
        encoding="utf-8",
    )
    (tmp_path / "known.yaml").write_text("- {id: FAIL-044, reason: also known}\n", encoding="utf-8")
    a, b = matrix.load(path)
    assert a.settings == {
        "profile": "quick",
        "seed": 1,
        "max_examples": 7,
        "only": ("sdk/action",),
        "exclusions": {"TCKM-060": "known"},
    }
    assert b.settings["exclusions"] == {"FAIL-044": "also known"}  # a file beside the permutation file
    assert b.settings["shrink"] is False
    a, b = matrix.load(path, {"max_examples": 3, "only": ["sdk/crdt"]})
    assert a.settings["max_examples"] == b.settings["max_examples"] == 3
    assert a.settings["only"] == b.settings["only"] == ("sdk/crdt",)


def test_a_store_that_cannot_start_fails_its_pair_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_store(pair: matrix.Pair) -> None:
        raise RuntimeError("no PostgreSQL here")

    monkeypatch.setattr(matrix, "_store", no_store)
    pair = matrix.Pair("pg", sdk=None, proxy=Side(command="x"), store="postgresql")
    report = matrix.run_pair(pair, tmp_path, Progress())
    assert report.exit_status == EXIT_NOT_RUN
    assert report.error == "the postgresql store of pair pg could not start: RuntimeError: no PostgreSQL here"
    assert (tmp_path / "tck-pg.html").is_file()


def test_an_image_pair_on_postgresql_with_a_replica_passes_and_leaves_no_container(tmp_path: Path) -> None:
    pytest.importorskip("cloudstate_proxy", reason="the reference proxy (reference/proxy) is not installed")
    from cloudstate_proxy.testing.postgres import PostgresNotInstalled, find_bindir

    try:
        find_bindir()
    except PostgresNotInstalled as missing:
        pytest.skip(str(missing))
    docker_images.images()
    permutations = tmp_path / "permutations.yaml"
    permutations.write_text(
        f"""
defaults: {{seed: 5, max_examples: 2, only: [proxy/action, proxy/crdt]}}
pairs:
  - name: images-pg
    proxy: {{image: {docker_images.PROXY_IMAGE}, store: postgresql, replica: true, env: {{REPLICA_ID: mine}}}}
    sdk: {{image: {docker_images.SDK_IMAGE}}}
""",
        encoding="utf-8",
    )
    before = docker_images.containers()
    out = tmp_path / "reports"
    status = matrix.matrix_command(permutations, out, (), Progress())
    assert docker_images.containers() == before
    report = json.loads((out / "tck-images-pg.json").read_text(encoding="utf-8"))
    suites = {suite["name"]: suite for suite in report["suites"]}
    assert status == 0, report["error"] or suites
    assert suites["proxy/action"]["status"] == suites["proxy/crdt"]["status"] == "passed"
    for rid in ("CRDT-075", "CRDT-VOTE-007", "CRDT-028"):  # rules only a replica exercises
        assert report["requirements"][rid]["status"] == "passed", rid
    sides = {side["role"]: side for side in report["sides"]}
    assert sides["proxy-replica"]["command"] == f"image {docker_images.PROXY_IMAGE}"
    assert sides["proxy-replica"]["log_tail"]  # the container's own output was collected
    assert "container tck-proxy-replica-" in Path(sides["proxy-replica"]["log"]).read_text(encoding="utf-8")
    _every_link_resolves(out)


def test_the_committed_permutations_name_the_reference_pair_in_three_forms() -> None:
    pairs = {pair.name: pair for pair in matrix.load(_REFERENCE)}
    assert set(pairs) == {"reference-processes", "reference-images", "reference-images-postgresql"}
    assert pairs["reference-processes"].proxy is not None
    assert pairs["reference-processes"].proxy.command
    assert pairs["reference-images"].proxy is not None
    assert pairs["reference-images"].proxy.image
    assert pairs["reference-images-postgresql"].store == "postgresql"
    assert pairs["reference-images-postgresql"].replica


@pytest.mark.parametrize(
    ("pair", "complaint"),
    [
        ("{name: x, sdk: {command: a}, only: [sdk/nothing]}", "x.only: unknown suites sdk/nothing"),
        ("{name: x, sdk: {command: a}, profile: slow}", "x.profile"),
        ("{name: x, sdk: {command: a}, exclusions: [{id: NOPE-001, reason: r}]}", "NOPE-001 is not a requirement"),
        ("{name: x, proxy: {command: a, store: redis}}", "x.proxy.store"),
        ("{name: x, proxy: {command: a, replica: true}}", "x.proxy.replica: a replica needs store: postgresql"),
        ("{name: x, proxy: {command: a, store: postgresql, replica: 2}}", "x.proxy.replica: give true or false"),
        ("{name: x, sdk: {command: a, replica: true}}", "x.sdk: unknown fields replica"),
        ("{name: x, proxy: {command: a, image: b}}", "exactly one of"),
        ("{name: x}", "give sdk, proxy or both"),
        ("{name: 'a b', sdk: {command: a}}", "letters, digits"),
    ],
)
def test_an_invalid_pair_is_refused_naming_it(tmp_path: Path, pair: str, complaint: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"pairs: [{pair}]\n", encoding="utf-8")
    with pytest.raises(matrix.PermutationError, match=complaint):
        matrix.load(path)
    assert matrix.matrix_command(path, tmp_path, (), Progress()) == 2
