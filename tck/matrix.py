"""``python -m tck matrix FILE``: run every pair of a permutation file, then write the conformance matrix.

A permutation file (YAML, described in ``reports/README.md``) names pairs of a
proxy and a user function, each side a command, an image or ``HOST:PORT``,
with extra environment; the proxy's ``store`` is ``memory`` or ``postgresql``
(a throwaway PostgreSQL server on 127.0.0.1 for that pair, from
``cloudstate_proxy.testing``; the proxy gets its URL as ``STORE`` and may be
restarted by the suites); ``replica: true`` (PostgreSQL only) adds a second
proxy on that store, as ``run --proxy-replica``. Run settings (profile, seed, sizes, suites,
exclusions) come from the file's defaults, then the pair, then the command
line, which wins so that CI can run the same pairs smaller. Each pair writes
its own ``tck-<name>.*`` reports; ``tck.matrix_report`` then writes
``matrix.json|md|html``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from cloudstate_protocol.requirements import load_registry

from tck import exclusions, matrix_report, reporting
from tck.catalog import suite_names
from tck.config import SPEC_VERSION, RunConfig, tck_version
from tck.outcome import EXIT_FAILED, EXIT_NOT_RUN, EXIT_PASSED, RunReport
from tck.progress import Progress, StreamProgress
from tck.runner import run
from tck.settings import PROFILES
from tck.targets import Side

_STORES = ("memory", "postgresql")
_SETTINGS = {"profile": str, "seed": int, "max_examples": int, "max_steps": int, "ready_timeout": float, "shrink": bool}


class PermutationError(ValueError):
    """The permutation file is not valid; the message names the pair and the field."""


@dataclasses.dataclass(frozen=True)
class Pair:
    name: str
    sdk: Side | None
    proxy: Side | None
    store: str = "memory"
    #: A second proxy on the same store (``replica: true``), for the CRDT suite's replication rules.
    replica: bool = False
    #: Keyword arguments of RunConfig: profile, seed, max_examples, max_steps, ready_timeout, shrink, only, exclusions.
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _side(where: str, raw: object, proxy: bool) -> tuple[Side, str, bool]:
    if not isinstance(raw, dict):
        raise PermutationError(f"{where}: give a mapping with command, image or address")
    given = [key for key in ("command", "image", "address") if key in raw]
    if len(given) != 1:
        raise PermutationError(f"{where}: give exactly one of command, image, address")
    unknown = set(raw) - {"command", "image", "address", "env", *(("store", "replica") if proxy else ())}
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
    replica = raw.get("replica", False)
    if not isinstance(replica, bool):
        raise PermutationError(f"{where}.replica: give true or false, not {replica!r}")
    if replica and store != "postgresql":  # two in-memory proxies would share nothing
        raise PermutationError(f"{where}.replica: a replica needs store: postgresql, the store both proxies share")
    return side.with_env({str(k): str(v) for k, v in env.items()}), store, replica


def _settings(where: str, raw: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """The run settings among ``raw``'s keys, checked; ``exclusions`` is a list of {id, reason} or a file's path."""
    found: dict[str, Any] = {}
    try:
        found = {key: _SETTINGS[key](value) for key, value in raw.items() if key in _SETTINGS and value is not None}
    except (TypeError, ValueError) as error:
        raise PermutationError(f"{where}: {error}") from error
    if found.get("profile", PROFILES[0]) not in PROFILES:
        raise PermutationError(f"{where}.profile: {found['profile']!r} is not one of {', '.join(PROFILES)}")
    if raw.get("only"):
        found["only"] = tuple(str(suite) for suite in raw["only"])
        unknown = sorted(set(found["only"]) - set(suite_names()))
        if unknown:
            raise PermutationError(f"{where}.only: unknown suites {', '.join(unknown)}")
    listed = raw.get("exclusions")
    if listed:
        known = [r.id for r in load_registry()]
        try:
            if isinstance(listed, list):
                found["exclusions"] = exclusions.parse(yaml.safe_dump(listed), known, f"{where}.exclusions")
            else:
                found["exclusions"] = exclusions.load(base / str(listed), known)
        except exclusions.ExclusionError as error:
            raise PermutationError(str(error)) from error
    return found


def _pair(raw: object, defaults: Mapping[str, Any], overrides: Mapping[str, Any], base: Path) -> Pair:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise PermutationError(f"every pair needs a name: {raw!r}")
    name = raw["name"]
    if not name.replace("-", "").replace("+", "").isalnum():
        raise PermutationError(f"pair {name!r}: use letters, digits, '-' and '+' only (it names report files)")
    sdk = _side(f"{name}.sdk", raw["sdk"], proxy=False)[0] if "sdk" in raw else None
    proxy, store, replica = _side(f"{name}.proxy", raw["proxy"], True) if "proxy" in raw else (None, "memory", False)
    if sdk is None and proxy is None:
        raise PermutationError(f"pair {name!r}: give sdk, proxy or both")
    return Pair(name, sdk, proxy, store, replica, {**defaults, **_settings(name, raw, base), **overrides})


def load(path: Path, overrides: Mapping[str, Any] | None = None) -> list[Pair]:
    """The pairs of the permutation file, each with its settings; ``overrides`` (checked as a pair's) win."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PermutationError(f"{path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("pairs"), list) or not document["pairs"]:
        raise PermutationError(f"{path}: expected a mapping with a non-empty list 'pairs'")
    defaults = _settings("defaults", document.get("defaults") or {}, path.parent)
    forced = _settings("command line", overrides or {}, Path.cwd())
    pairs = [_pair(raw, defaults, forced, path.parent) for raw in document["pairs"]]
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
    """Run one pair and write its reports; a store that cannot start makes a report of that error (exit status 2)."""
    config = RunConfig(
        sdk=pair.sdk,
        proxy=pair.proxy,
        proxy_restartable=pair.store != "memory",
        proxy_replica=pair.replica,
        report_dir=report_dir,
        name=pair.name,
        **pair.settings,
    )
    with contextlib.ExitStack() as stack:
        try:
            store_env = stack.enter_context(_store(pair))
        except Exception as error:  # PostgreSQL missing or failing to start: this pair cannot run, the others can
            message = f"the {pair.store} store of pair {pair.name} could not start: {type(error).__name__}: {error}"
            progress.message(f"error: {message}")
            report = RunReport(
                pair.name, tck_version(), SPEC_VERSION, config.profile, config.seed or 0,
                datetime.datetime.now(datetime.UTC), 0.0, config.spec_url, config.directions, (), (), error=message,
            )  # fmt: skip
        else:
            proxy = config.proxy.with_env(store_env) if config.proxy is not None and store_env else config.proxy
            report = run(dataclasses.replace(config, proxy=proxy), progress)
    reporting.write_all(report, report_dir)
    return report


def matrix_command(
    path: Path, report_dir: Path, only: tuple[str, ...], progress: Progress, overrides: Mapping[str, Any] | None = None
) -> int:
    """Run the pairs (all, or those named) and write the matrix; 0 when all passed, 1 when any failed, 2 if not run."""
    try:
        pairs = [p for p in load(path, overrides) if not only or p.name in only]
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
    for report in reports:
        sys.stdout.write(f"{report.name}: {report.outcome} (seed {report.seed}, {report.duration:.0f} s)\n")
    return EXIT_PASSED if all(r.exit_status == EXIT_PASSED for r in reports) else EXIT_FAILED


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``matrix``; the run settings among them override the permutation file's for every pair."""
    parser.add_argument("file", type=Path, metavar="FILE", help="the permutation file (YAML; see reports/README.md)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="default: reports")
    parser.add_argument("--only-pair", action="append", default=[], metavar="NAME", help="run only this pair")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    settings = parser.add_argument_group("run settings for every pair (over the file's)")
    settings.add_argument("--profile", choices=PROFILES, help="quick (CI) or deep (release checks)")
    settings.add_argument("--seed", type=int, help="draw every pair's programs from this seed")
    settings.add_argument("--max-examples", type=_positive, metavar="N", help="programs per machine (smaller: faster)")
    settings.add_argument("--max-steps", type=_positive, metavar="N", help="steps per program")
    settings.add_argument("--only", action="append", metavar="SUITE", help="run only this suite (repeatable)")
    settings.add_argument("--no-shrink", dest="shrink", action="store_false", default=None, help="report unshrunk")


def command(args: argparse.Namespace, progress: Progress) -> int:
    overrides = {key: getattr(args, key, None) for key in (*_SETTINGS, "only")}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    return matrix_command(args.file, args.report_dir, tuple(args.only_pair), progress, overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tck.matrix FILE [options]``, the same as ``python -m tck matrix``."""
    parser = argparse.ArgumentParser(prog="python -m tck.matrix", description="Run the pairs of a permutation file.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return command(args, Progress() if args.quiet else StreamProgress(sys.stderr))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Pair", "PermutationError", "add_arguments", "command", "load", "main", "matrix_command", "run_pair"]
