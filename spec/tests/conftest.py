import sys
from pathlib import Path

import hypothesis

# Hypothesis's per-example deadline measures wall-clock time, which says nothing
# on a loaded two-core CI machine; timing belongs in benchmarks (nox -s bench).
hypothesis.settings.register_profile("cloudstate", deadline=None)
hypothesis.settings.load_profile("cloudstate")

# The build tools (spec/tools) are scripts, not part of the distribution; the
# tests import them directly.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
