"""Regenerate spec/requirements.yaml from the Markdown (run by ``nox -s requirements``).

python spec/tools/registry.py          # rewrite the registry
python spec/tools/registry.py --check  # fail when the registry is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cloudstate_protocol import PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION
from cloudstate_protocol.requirements import SpecFormatError, dump_registry, parse_specification

SPEC = Path(__file__).resolve().parent.parent
REGISTRY = SPEC / "requirements.yaml"
SPEC_VERSION = f"{PROTOCOL_MAJOR_VERSION}.{PROTOCOL_MINOR_VERSION}"


def render() -> str:
    return dump_registry(parse_specification(SPEC), SPEC_VERSION)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    try:
        text = render()
    except SpecFormatError as error:
        print(f"the specification breaks the requirement conventions:\n{error}")
        return 1
    if args.check:
        if REGISTRY.read_text(encoding="utf-8") != text:
            print("spec/requirements.yaml is stale; run `nox -s requirements`")
            return 1
        print("spec/requirements.yaml matches the Markdown")
        return 0
    REGISTRY.write_text(text, encoding="utf-8")
    print(f"wrote {REGISTRY.relative_to(SPEC.parent)} ({text.count('- id: ')} requirements)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
