"""Generate the example packages' protobuf code (run by nox, not shipped).

    python reference/sdk/tools/protos.py generate   # rewrite examples/**/*_pb2*.py(i)
    python reference/sdk/tools/protos.py check      # exit 1 when the committed code is stale

The example protos live beside their Python code under examples/, with paths
that equal their import paths (cloudstate_examples/shoppingcart/...), so the
generated modules import each other without rewriting. They import the
protocol's cloudstate/*.proto, found through cloudstate_protocol.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

import google.api
import grpc_tools
from cloudstate_protocol import proto_root
from grpc_tools import protoc

SDK = Path(__file__).resolve().parent.parent
EXAMPLES = SDK / "examples"
GOOGLEAPIS_ROOT = Path(google.api.__path__[0]).parent.parent
WELL_KNOWN_ROOT = Path(grpc_tools.__file__).parent / "_proto"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def proto_files() -> list[str]:
    return sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.glob("cloudstate_examples/**/*.proto"))


def _generate_into(target: Path) -> None:
    # protoc finds the mypy plugins (protoc-gen-mypy*) on PATH; they sit
    # beside this interpreter, which need not be on PATH (e.g. in a venv).
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    command = [
        "protoc",
        f"-I{EXAMPLES}",
        f"-I{proto_root()}",
        f"-I{GOOGLEAPIS_ROOT}",
        f"-I{WELL_KNOWN_ROOT}",
        f"--python_out={target}",
        f"--grpc_python_out={target}",
        f"--mypy_out={target}",
        f"--mypy_grpc_out={target}",
        *proto_files(),
    ]
    if protoc.main(command) != 0:
        raise SystemExit(f"protoc failed: {' '.join(command)}")


def _generated(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and p.name.endswith(GENERATED_SUFFIXES) and "__pycache__" not in p.parts
    }


def generate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _generate_into(Path(tmp))
        fresh = _generated(Path(tmp))
        for stale in _generated(EXAMPLES).keys() - fresh.keys():
            (EXAMPLES / stale).unlink()
        for name, path in fresh.items():
            shutil.copyfile(path, EXAMPLES / name)
    print(f"generated {len(fresh)} files into {EXAMPLES.relative_to(SDK.parent.parent)}")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        _generate_into(Path(tmp))
        fresh, committed = _generated(Path(tmp)), _generated(EXAMPLES)
        stale = sorted(
            name
            for name in fresh.keys() | committed.keys()
            if name not in fresh
            or name not in committed
            or not filecmp.cmp(fresh[name], committed[name], shallow=False)
        )
    if stale:
        print("generated example code is outdated; run `nox -s protos`. Differing files:", *stale, sep="\n  ")
        return 1
    print(f"generated example code is up to date ({len(committed)} files)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "check"])
    args = parser.parse_args()
    if args.command == "generate":
        generate()
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
