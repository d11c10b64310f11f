"""Run buf on the protocol (lint, format, breaking) without network access.

    python spec/tools/buf.py lint       # STANDARD + COMMENTS rules, exceptions justified in buf.yaml
    python spec/tools/buf.py format     # fail when a .proto file is not `buf format`ted
    python spec/tools/buf.py breaking   # fail on any wire or JSON change against the 0.2 baseline
    python spec/tools/buf.py baseline   # (re)write the baseline; only for a deliberate new version

buf reads a descriptor image built by protoc, because google/api/*.proto comes
from googleapis-common-protos, not from this tree, and buf may not fetch it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import protos

CONFIG = protos.PROTO_ROOT / "buf.yaml"
BASELINE = protos.PROTO_ROOT / "baseline" / "protocol-0.2.binpb"


def _buf(*args: str, cwd: Path) -> int:
    executable = shutil.which("buf")
    if executable is None:
        raise SystemExit("buf is not installed; `pip install buf-bin` (the nox sessions do)")
    return subprocess.run([executable, *args], cwd=cwd).returncode


def _image(folder: Path, *, source_info: bool) -> str:
    # The image must live outside spec/proto: buf refuses an input inside the
    # module that its configuration describes.
    protos.build_descriptor_set(folder / "protocol.binpb", source_info=source_info)
    return "protocol.binpb#format=binpb"


def lint() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return _buf(
            "lint",
            _image(Path(tmp), source_info=True),
            "--config",
            str(CONFIG),
            "--exclude-path",
            "google",
            cwd=Path(tmp),
        )


def format_check() -> int:
    return _buf("format", "--diff", "--exit-code", ".", cwd=protos.PROTO_ROOT)


def breaking() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        image = _image(Path(tmp), source_info=False)
        shutil.copy(BASELINE, Path(tmp) / "baseline.binpb")
        return _buf(
            "breaking", image, "--against", "baseline.binpb#format=binpb", "--config", str(CONFIG), cwd=Path(tmp)
        )


def write_baseline() -> int:
    BASELINE.parent.mkdir(exist_ok=True)
    protos.build_descriptor_set(BASELINE, source_info=False)
    print(f"wrote {BASELINE.relative_to(protos.SPEC.parent)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["lint", "format", "breaking", "baseline"])
    command = parser.parse_args().command
    return {"lint": lint, "format": format_check, "breaking": breaking, "baseline": write_baseline}[command]()


if __name__ == "__main__":
    sys.exit(main())
