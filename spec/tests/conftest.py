import sys
from pathlib import Path

# The build tools (spec/tools) are scripts, not part of the distribution; the
# tests import them directly.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
