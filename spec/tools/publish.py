"""Publish the specification into one folder (run by ``nox -s spec``).

    python spec/tools/publish.py dist/spec

writes the wheel and sdist of cloudstate-protocol, a descriptor set of every
protocol file with its imports and comments, a zip of the .proto sources (the
file support-library authors in other languages start from) and a static HTML
rendering: the spec with requirement anchors, a requirement table and a
protocol reference generated from the proto comments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import protos
import render_protocol
import render_spec
from cloudstate_protocol import PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION
from cloudstate_protocol.requirements import load_registry
from google.protobuf import descriptor_pb2

SPEC = Path(__file__).resolve().parent.parent
VERSION = f"{PROTOCOL_MAJOR_VERSION}.{PROTOCOL_MINOR_VERSION}"


def build_distributions(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "build", "--outdir", tmp, str(SPEC)], check=True, capture_output=True)
        built = []
        for artefact in Path(tmp).iterdir():
            target = out / artefact.name
            target.write_bytes(artefact.read_bytes())
            built.append(target)
    return sorted(built)


def zip_protos(out: Path) -> Path:
    target = out / f"cloudstate-protocol-{VERSION}-protos.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in protos.proto_files():
            archive.write(protos.PROTO_ROOT / name, name)
    return target


def publish(out: Path, *, with_distributions: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = build_distributions(out) if with_distributions else []
    descriptor = protos.build_descriptor_set(out / f"cloudstate-protocol-{VERSION}.binpb")
    written += [descriptor, zip_protos(out)]
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor.read_bytes())
    written += render_spec.render_site(
        SPEC, out / "html", load_registry(SPEC / "requirements.yaml"), render_protocol.render_reference(descriptor_set)
    )
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-distributions", action="store_true", help="skip building the wheel and sdist")
    args = parser.parse_args()
    for path in publish(args.out, with_distributions=not args.no_distributions):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
