"""Fixed scenarios (golden transcripts) from the upstream TCK, run beside the generated programs.

Each module maps scenario names to functions ``(user_function, recorder) -> None``.
"""

from tck.golden import action, crdt, eventsourced, valueentity

SCENARIOS = {
    "event-sourced": eventsourced.SCENARIOS,
    "value-entity": valueentity.SCENARIOS,
    "action": action.SCENARIOS,
    "crdt": crdt.SCENARIOS,
}

__all__ = ["SCENARIOS"]
