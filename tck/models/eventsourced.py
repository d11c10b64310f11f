"""Reference model of the event-sourced TCK entity (cloudstate.tck.model.EventSourcedTckModel).

The entity's state is a string: an event appends its value, a snapshot replaces
the state. A command is a list of actions (emit, forward, effect, fail); the
model predicts the whole answer: client outcome, events, snapshot, side
effects, and the entity's state and sequence number afterwards. Rules are those
of spec/proto/cloudstate/tck/model/eventsourced.proto and spec 09 (ES-014,
ES-020, ES-024, ES-026, ES-027, ES-032, ES-041) and spec 15 (TCKM-020..035).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from tck.models.effects import ENTITY_FAILURE_RESTART, Call, Failed, Forwarded, Replied, SideEffect
from tck.models.journal import EntityJournal, Event, Recovery, Snapshot
from tck.models.scripts import Effect, Fail, Forward, Skip

SERVICE = "cloudstate.tck.model.EventSourcedTckModel"
TWO = "cloudstate.tck.model.EventSourcedTwo"
CONFIGURED = "cloudstate.tck.model.EventSourcedConfigured"
PERSISTENCE_ID = "event-sourced-tck-model"
CONFIGURED_PERSISTENCE_ID = "event-sourced-configured"
SNAPSHOT_EVERY = 5


@dataclasses.dataclass(frozen=True)
class Emit:
    value: str


Action = Emit | Forward | Effect | Fail | Skip


@dataclasses.dataclass(frozen=True)
class Entity:
    """The user function's view of one entity: state string and sequence number."""

    state: str = ""
    sequence: int = 0

    @classmethod
    def recover(cls, recovery: Recovery[str]) -> Entity:
        """The entity after init (with or without snapshot) and the replayed events."""
        snapshot = recovery.snapshot
        entity = cls(snapshot.state, snapshot.sequence) if snapshot else cls()
        for event in recovery.events:
            entity = entity.apply(event)
        return entity

    def apply(self, event: Event[str]) -> Entity:
        return Entity(self.state + event.payload, event.sequence)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The predicted answer to one command and the entity afterwards.

    On a failure ``events``, ``snapshot`` and ``effects`` are empty and ``entity``
    is the entity before the command, whether the user function rolls back or
    asks for a restart (the restart rebuilds the same entity from the journal).
    """

    client: Replied | Forwarded | Failed
    events: tuple[str, ...]
    snapshot: str | None
    effects: tuple[SideEffect, ...]
    entity: Entity


def snapshot_due(first: int, last: int, every: int = SNAPSHOT_EVERY) -> bool:
    """Whether events numbered first..last include a multiple of ``every`` (ES-032)."""
    return every > 0 and first <= last and last // every > (first - 1) // every


def process(entity: Entity, actions: Iterable[Action], every: int = SNAPSHOT_EVERY) -> Outcome:
    """Predict the answer to `Process` for an entity in the given state."""
    events: list[str] = []
    effects: list[SideEffect] = []
    forward: Forward | None = None
    for action in actions:
        match action:
            case Emit(value):
                events.append(value)
            case Forward():
                forward = action
            case Effect(id, synchronous):
                effects.append(SideEffect(Call(TWO, "Call", id), synchronous))
            case Fail(message):
                return Outcome(Failed(message, ENTITY_FAILURE_RESTART), (), None, (), entity)
            case Skip():
                pass
    after = Entity(entity.state + "".join(events), entity.sequence + len(events))
    snapshot = after.state if snapshot_due(entity.sequence + 1, after.sequence, every) else None
    client: Replied | Forwarded = Forwarded(Call(TWO, "Call", forward.id)) if forward else Replied(after.state)
    return Outcome(client, tuple(events), snapshot, tuple(effects), after)


def call_two(entity: Entity) -> Outcome:
    """`EventSourcedTwo/Call` and `EventSourcedConfigured/Call`: an empty reply, nothing else."""
    return Outcome(Replied(""), (), None, (), entity)


def journal_outcome(journal: EntityJournal[str], outcome: Outcome) -> EntityJournal[str]:
    """What a proxy persists for the outcome: its events, then its snapshot (ES-025, ES-029)."""
    if isinstance(outcome.client, Failed) or not outcome.events:
        return journal
    journal = journal.append(outcome.events)
    return journal.snapshot(outcome.snapshot) if outcome.snapshot is not None else journal


def replay(events: Sequence[str], snapshot: Snapshot[str] | None = None) -> Entity:
    """The entity rebuilt from a snapshot and the event payloads after it."""
    start = snapshot.sequence if snapshot else 0
    numbered = tuple(Event(start + i, value) for i, value in enumerate(events, start=1))
    return Entity.recover(Recovery(snapshot, numbered))


# The shared steps are part of this model's vocabulary: es.Forward, es.Fail, ...
__all__ = [
    "CONFIGURED",
    "CONFIGURED_PERSISTENCE_ID",
    "PERSISTENCE_ID",
    "SERVICE",
    "SNAPSHOT_EVERY",
    "TWO",
    "Action",
    "Effect",
    "Emit",
    "Entity",
    "Fail",
    "Forward",
    "Outcome",
    "Skip",
    "call_two",
    "journal_outcome",
    "process",
    "replay",
    "snapshot_due",
]
