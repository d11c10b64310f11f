"""The TCK model services, served by ``python -m cloudstate_sdk.tck_model``.

One module per model (action, crdt, eventsourced, valueentity, eventlogeventing), each with an
``entities`` list; :func:`entities` gathers them all.
"""

from __future__ import annotations

from cloudstate_sdk._definition import Definition


def entities() -> list[Definition]:
    """Every TCK model entity and action, ready to serve."""
    from cloudstate_sdk.tck_model import action, crdt, eventlogeventing, eventsourced, valueentity

    return [
        *action.entities,
        *eventsourced.entities,
        *valueentity.entities,
        *crdt.entities,
        *eventlogeventing.entities,
    ]


__all__ = ["entities"]
