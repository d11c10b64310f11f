"""``python images/build.py``: build the project's container images and report their sizes."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from cloudstate_images import builder, wheelhouse
from cloudstate_images.catalog import IMAGES
from cloudstate_images.errors import BuildError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="images/build.py",
        description="Build the Cloudstate images (tags cloudstate/<name>:<version> and :dev) from a wheelhouse "
        "made on this machine. Without --base-image, python:3.11-slim is used when a registry serves it, else "
        "a Debian bookworm image made with debootstrap (once, then reused).",
    )
    names = [i.name for i in IMAGES]
    parser.add_argument(
        "--only", action="append", choices=names, metavar="NAME", help=f"build only this image (repeatable): {names}"
    )
    parser.add_argument("--base-image", help="image to build on (must provide python3 3.11 with venv)")
    parser.add_argument("--no-cache", action="store_true", help="rebuild every layer")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help=f"resolve dependencies against the package index even when the wheel cache ({wheelhouse.default_cache()}) "
        "has all of them",
    )
    parser.add_argument("--python-version", default="3.11", help="the base image's Python, for the wheelhouse")
    return parser


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    try:
        outcomes = builder.build(
            args.only,
            base_image=args.base_image,
            no_cache=args.no_cache,
            python_version=args.python_version,
            wheel_cache=None if args.refresh else wheelhouse.default_cache(),
            report=_say,
        )
    except BuildError as error:
        sys.stderr.write(f"images/build.py: {error}\n")
        return 1
    failed = [o.image.name for o in outcomes if not o.ok]
    _say(f"failed: {', '.join(failed)}" if failed else "all images built")
    _say(f"total {time.monotonic() - started:.1f}s")
    return 1 if failed else 0
