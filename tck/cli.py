"""The command line: ``python -m tck run ...`` (also installed as ``cloudstate-tck``).

    python -m tck run --sdk "python -m cloudstate_sdk.tck_model" --proxy "python -m cloudstate_proxy" \\
        --profile quick --report-dir reports

``--sdk`` and ``--proxy`` take a command line (``{port}`` is replaced by the
port to serve on; see ``tck.targets`` for the environment each gets) or the
``HOST:PORT`` of something already running; ``--sdk-image`` and ``--proxy-image``
run that side from a container image instead, and replace ``--sdk``/``--proxy``
when both are given (so a wrapper's default command can be overridden). With
``--sdk`` the TCK checks the
user function directly; with ``--proxy`` it checks the proxy with a user
function behind it; with both, both. The exit status is 0 only when no
applicable MUST-level requirement failed and every suite ran to its end; 1
when one failed; 2 when the run could not be carried out; 130 on Ctrl-C.

Runs are repeatable: every run reports its seed, and ``--seed N`` draws the
same programs again (from an implementation that answers deterministically).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cloudstate_protocol.requirements import load_registry

import tck.matrix
from tck import exclusions, reporting
from tck.catalog import suite_names
from tck.config import DEFAULT_SPEC_URL, RunConfig
from tck.outcome import EXIT_NOT_RUN
from tck.progress import Progress, StreamProgress
from tck.runner import run
from tck.settings import PROFILES
from tck.targets import Side, replica_refusal


def _side(text: str) -> Side:
    try:
        return Side.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _image(text: str) -> Side:
    try:
        return Side.of_image(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tck", description="The Cloudstate technology compatibility kit.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("suites", help="list the suites (names for --only)")
    cmd = commands.add_parser("run", help="run the TCK against a user function, a proxy or both")
    target = cmd.add_argument_group("target (at least one)")
    target.add_argument("--sdk", type=_side, metavar="CMD|HOST:PORT", help="the user function (SDK) to check")
    target.add_argument("--proxy", type=_side, metavar="CMD|HOST:PORT", help="the proxy to check")
    target.add_argument("--sdk-image", type=_image, metavar="IMAGE", help="run the user function from this image")
    target.add_argument("--proxy-image", type=_image, metavar="IMAGE", help="run the proxy from this image")
    target.add_argument(
        "--proxy-user-function",
        type=_side,
        metavar="CMD|HOST:PORT",
        help="the user function behind the proxy (default: --sdk, else the reference SDK's TCK model)",
    )
    target.add_argument(
        "--interceptor-port",
        type=_positive,
        help="for a proxy given as HOST:PORT: the port its USER_FUNCTION_PORT names",
    )
    target.add_argument(
        "--proxy-restartable",
        action="store_true",
        help="the proxy keeps its state across restarts (a durable store), so the suites may restart it",
    )
    target.add_argument(
        "--proxy-replica",
        action="store_true",
        help="start a second proxy on the same (durable, shared) store, so the CRDT replication rules run",
    )
    cmd.add_argument("--name", help="the target's name in report file names (default: from the commands)")
    cmd.add_argument("--profile", choices=PROFILES, default="quick", help="quick (CI) or deep (release checks)")
    cmd.add_argument("--seed", type=int, help="draw the programs from this seed (default: a new one, reported)")
    cmd.add_argument("--exclusions", type=Path, metavar="FILE", help="YAML list of {id, reason}: known failures")
    cmd.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR", help="default: reports")
    cmd.add_argument("--only", action="append", default=[], metavar="SUITE", help="run only this suite (repeatable)")
    cmd.add_argument("--max-examples", type=_positive, help="override the profile's programs per machine")
    cmd.add_argument("--max-steps", type=_positive, help="override the profile's steps per program")
    cmd.add_argument("--no-shrink", action="store_true", help="report failing programs unshrunk (faster)")
    cmd.add_argument("--ready-timeout", type=float, default=30.0, help="seconds a process may take to serve")
    cmd.add_argument("--spec-url", default=DEFAULT_SPEC_URL, help="base URL of the published spec pages")
    cmd.add_argument("--quiet", action="store_true", help="no progress display")
    tck.matrix.add_arguments(
        commands.add_parser("matrix", help="run every pair of a permutation file and write a conformance matrix")
    )
    return top


def _fail(message: str) -> int:
    sys.stderr.write(f"python -m tck: {message}\n")
    return EXIT_NOT_RUN


def run_command(args: argparse.Namespace, progress: Progress) -> int:
    # An image replaces the command given for the same side.
    args.sdk = args.sdk_image or args.sdk
    args.proxy = args.proxy_image or args.proxy
    if args.sdk is None and args.proxy is None:
        return _fail("give --sdk, --proxy or both")
    if args.proxy is not None and args.proxy.endpoint is not None and args.interceptor_port is None:
        return _fail("a proxy given as HOST:PORT needs --interceptor-port: the port its USER_FUNCTION_PORT names")
    refusal = replica_refusal(args.proxy) if args.proxy_replica and args.proxy is not None else None
    if refusal is not None or (args.proxy_replica and args.proxy is None):
        return _fail(refusal or "--proxy-replica needs --proxy or --proxy-image")
    unknown = sorted(set(args.only) - set(suite_names()))
    if unknown:
        return _fail(f"unknown suites {', '.join(unknown)}; known: {', '.join(suite_names())}")
    excluded: dict[str, str] = {}
    if args.exclusions is not None:
        try:
            excluded = exclusions.load(args.exclusions, (r.id for r in load_registry()))
        except exclusions.ExclusionError as error:
            return _fail(str(error))
    config = RunConfig(
        sdk=args.sdk,
        proxy=args.proxy,
        proxy_user_function=args.proxy_user_function,
        interceptor_port=args.interceptor_port,
        proxy_restartable=args.proxy_restartable,
        proxy_replica=args.proxy_replica,
        profile=args.profile,
        seed=args.seed,
        exclusions=excluded,
        report_dir=args.report_dir,
        only=tuple(args.only),
        name=args.name,
        max_examples=args.max_examples,
        max_steps=args.max_steps,
        shrink=not args.no_shrink,
        ready_timeout=args.ready_timeout,
        spec_url=args.spec_url,
    )
    report = run(config, progress)
    written = reporting.write_all(report, args.report_dir)
    summary = report.summary
    counts = ", ".join(f"{summary[s]} {s}" for s in ("passed", "failed", "excluded", "not-applicable", "untested"))
    sys.stdout.write(f"{report.outcome}: {counts} (seed {report.seed})\n")
    stale = [r.requirement.id for r in report.requirements if r.status == "excluded" and r.observed == "passed"]
    if stale:
        sys.stdout.write(f"excluded but passed (remove them from the exclusion list?): {', '.join(stale)}\n")
    for path in written:
        sys.stdout.write(f"  {path}\n")
    return report.exit_status


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "suites":
        sys.stdout.write("".join(f"{name}\n" for name in suite_names()))
        return 0
    progress = Progress() if args.quiet else StreamProgress(sys.stderr)
    if args.command == "matrix":
        return tck.matrix.command(args, progress)
    return run_command(args, progress)


def console() -> None:
    """Entry point of the ``cloudstate-tck`` script."""
    sys.exit(main())


__all__ = ["console", "main", "parser"]
