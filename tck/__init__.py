"""The Cloudstate TCK: reference models and the state machines that check implementations against them.

Subpackages: ``tck.models`` (pure models), ``tck.wire`` (models to and from
protocol messages), ``tck.sdk`` (playing the proxy against a user function),
``tck.machines`` (Hypothesis state machines), ``tck.golden`` (fixed scenarios).
"""

from tck.checks import Check, ConformanceError, Recorder

__all__ = ["Check", "ConformanceError", "Recorder"]
