"""``python -m tck matrix FILE``: run every pair of a permutation file, then write the conformance matrix.

A permutation file (YAML, described in ``reports/README.md``) names pairs of a
proxy and a user function, each side a command, an image or ``HOST:PORT``,
with extra environment; the proxy's ``store`` is ``memory`` or ``postgresql``
(a throwaway PostgreSQL server on 127.0.0.1 for that pair, from
``cloudstate_proxy.testing``; the proxy gets its URL as ``STORE`` and may be
restarted by the suites). Each pair writes its own ``tck-<name>.*`` reports;
``tck.matrix_report`` then writes ``matrix.json|md|html``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tck import matrix_report, reporting
from tck.config import RunConfig
from tck.outcome import EXIT_FAILED, EXIT_NOT_RUN, EXIT_PASSED, RunReport
from tck.progress import Progress
from tck.runner import run
from tck.targets import Side

_STORES = ("memory", "postgresql")
_SETTINGS = {"profile": str, "seed": int, "max_examples": int, "max_steps": int, "ready_timeout": float}


class PermutationError(ValueError):
    """The permutation file is not valid; the message names the pair and the field."""


@dataclasses.dataclass(frozen=True)
class Pair:
    name: str
    sdk: Side | None
    proxy: Side | None
    store: str = "memory"
    only: tuple[str, ...] = ()
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _side(where: str, raw: object, proxy: bool) -> tuple[Side, str]:
    if not isinstance(raw, dict):
        raise PermutationError(f"{where}: give a mapping with command, image or address")
    given = [key for key in ("command", "image", "address") if key in raw]
    if len(given) != 1:
        raise PermutationError(f"{where}: give exactly one of command, image, address")
    unknown = set(raw) - {"command", "image", "address", "env", *(("store",) if proxy else ())}
    if unknown:
        raise PermutationError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    value = str(raw[given[0]])
    side = Side.of_image(value) if given[0] == "image" else Side.parse(value)
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise PermutationError(f"{where}.env: give a mapping of variable to value")
    store = str(raw.get("store", "memory"))
    if store not in _STORES:
        raise PermutationError(f"{where}.store: {store!r} is not one of {', '.join(_STORES)}")
    return side.with_env({str(k): str(v) for k, v in env.items()}), store


def _pair(raw: object, defaults: Mapping[str, Any]) -> Pair:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise PermutationError(f"every pair needs a name: {raw!r}")
    name = raw["name"]
    if not name.replace("-", "").replace("+", "").isalnum():
        raise PermutationError(f"pair {name!r}: use letters, digits, '-' and '+' only (it names report files)")
    sdk = _side(f"{name}.sdk", raw["sdk"], proxy=False)[0] if "sdk" in raw else None
    proxy, store = _side(f"{name}.proxy", raw["proxy"], proxy=True) if "proxy" in raw else (None, "memory")
    if sdk is None and proxy is None:
        raise PermutationError(f"pair {name!r}: give sdk, proxy or both")
    merged = {**defaults, **{k: v for k, v in raw.items() if k in _SETTINGS or k == "only"}}
    settings = {key: _SETTINGS[key](value) for key, value in merged.items() if key in _SETTINGS}
    return Pair(name, sdk, proxy, store, tuple(str(s) for s in merged.get("only", ())), settings)


def load(path: Path) -> list[Pair]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermutationError(f"{path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("pairs"), list) or not document["pairs"]:
        raise PermutationError(f"{path}: expected a mapping with a non-empty list 'pairs'")
    defaults = document.get("defaults") or {}
    pairs = [_pair(raw, defaults) for raw in document["pairs"]]
    names = [p.name for p in pairs]
    if len(set(names)) != len(names):
        raise PermutationError(f"{path}: pair names must be unique")
    return pairs


@contextlib.contextmanager
def _store(pair: Pair) -> Iterator[dict[str, str]]:
    """The proxy's extra environment for its store: nothing for memory, STORE=<URL> of a throwaway PostgreSQL."""
    if pair.store == "memory":
        yield {}
        return
    from cloudstate_proxy.testing import TemporaryPostgres

    with TemporaryPostgres() as server:
        yield {"STORE": server.create_database("tck_matrix")}


def run_pair(pair: Pair, report_dir: Path, progress: Progress) -> RunReport:
    with _store(pair) as store_env:
        proxy = pair.proxy.with_env(store_env) if pair.proxy is not None and store_env else pair.proxy
        config = RunConfig(
            sdk=pair.sdk,
            proxy=proxy,
            proxy_restartable=pair.store != "memory",
            report_dir=report_dir,
            only=pair.only,
            name=pair.name,
            **pair.settings,
        )
        report = run(config, progress)
    reporting.write_all(report, report_dir)
    return report


def matrix_command(path: Path, report_dir: Path, only: tuple[str, ...], progress: Progress) -> int:
    """Run the pairs (all, or those named) and write the matrix; 0 when all passed, 1 when any failed, 2 if not run."""
    try:
        pairs = [p for p in load(path) if not only or p.name in only]
    except PermutationError as error:
        progress.message(f"error: {error}")
        return EXIT_NOT_RUN
    if not pairs:
        progress.message(f"error: no pair of {path} is named {', '.join(only)}")
        return EXIT_NOT_RUN
    reports = []
    for pair in pairs:
        progress.message(f"pair {pair.name}")
        reports.append(run_pair(pair, report_dir, progress))
    for written in matrix_report.write_all(reports, report_dir):
        sys.stdout.write(f"  {written}\n")
    return EXIT_PASSED if all(r.exit_status == EXIT_PASSED for r in reports) else EXIT_FAILED


__all__ = ["Pair", "PermutationError", "load", "matrix_command", "run_pair"]
