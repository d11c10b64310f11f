"""Fixed scenarios (golden transcripts) from the upstream TCK, run beside the generated programs.

Each module maps scenario names to functions ``(user_function, recorder) -> None``.
"""

from tck.golden import action, crdt, eventing, eventsourced, streams, valueentity

SCENARIOS = {
    "event-sourced": {**eventsourced.SCENARIOS, "hundred_independent_streams": streams.hundred_independent_streams},
    "value-entity": valueentity.SCENARIOS,
    "action": action.SCENARIOS,
    "crdt": crdt.SCENARIOS,
    "eventing": eventing.SCENARIOS,
}

__all__ = ["SCENARIOS"]
