"""Build the project's container images: ``python images/build.py [--only NAME] [--base-image REF] [--no-cache]``.

The code lives in images/src/cloudstate_images; this script runs it without installing it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from cloudstate_images.cli import main

if __name__ == "__main__":
    sys.exit(main())
