"""The permutation file and the conformance matrix: two small pairs run as processes, then the three matrix files."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from tck import matrix
from tck.progress import Progress

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
    assert both["capabilities"]["action"]["passed"] > 0
    for name in ("both-ways", "sdk-only"):
        assert (out / f"tck-{name}.html").is_file()
        assert (out / f"tck-{name}.json").is_file()
        assert f'href="tck-{name}.html"' in (out / "matrix.html").read_text(encoding="utf-8")
        assert f"[{name}](tck-{name}.html)" in (out / "matrix.md").read_text(encoding="utf-8")


def test_the_committed_permutations_name_the_reference_pair_in_three_forms() -> None:
    pairs = {pair.name: pair for pair in matrix.load(_REFERENCE)}
    assert set(pairs) == {"reference-processes", "reference-images", "reference-images-postgresql"}
    assert pairs["reference-processes"].proxy is not None
    assert pairs["reference-processes"].proxy.command
    assert pairs["reference-images"].proxy is not None
    assert pairs["reference-images"].proxy.image
    assert pairs["reference-images-postgresql"].store == "postgresql"


@pytest.mark.parametrize(
    ("pair", "complaint"),
    [
        ("{name: x, proxy: {command: a, store: redis}}", "x.proxy.store"),
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
