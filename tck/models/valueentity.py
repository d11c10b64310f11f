"""Reference model of the value-entity TCK entity (cloudstate.tck.model.valueentity.ValueEntityTckModel).

The state is a string stored as a `Persisted` message, or nothing stored. A
command is a list of actions (update, delete, forward, effect, fail); the last
update or delete wins and becomes the reply's single state action. Rules are
those of spec/proto/cloudstate/tck/model/valueentity.proto and spec 10 (VE-010,
VE-011, VE-016, VE-017, VE-019, VE-020, VE-026) and spec 15 (TCKM-036..047).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from tck.models.effects import ENTITY_FAILURE_RESTART, Call, Failed, Forwarded, Replied, SideEffect
from tck.models.scripts import Effect, Fail, Forward, Skip

SERVICE = "cloudstate.tck.model.valueentity.ValueEntityTckModel"
TWO = "cloudstate.tck.model.valueentity.ValueEntityTwo"
CONFIGURED = "cloudstate.tck.model.valueentity.ValueEntityConfigured"
PERSISTENCE_ID = "value-entity-tck-model"
TWO_PERSISTENCE_ID = "value-entity-tck-model-two"
CONFIGURED_PERSISTENCE_ID = "value-entity-configured"


@dataclasses.dataclass(frozen=True)
class Update:
    value: str


@dataclasses.dataclass(frozen=True)
class Delete:
    pass


Action = Update | Delete | Forward | Effect | Fail | Skip
StateAction = Update | Delete


def state_of(stored: str | None) -> str:
    """The entity's state for a stored value: nothing stored is the empty string."""
    return "" if stored is None else stored


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The predicted answer to one command and the stored value afterwards.

    ``stored`` is None when nothing is stored (never updated, or deleted). On a
    failure there is no state action or effect and ``stored`` is unchanged.
    """

    client: Replied | Forwarded | Failed
    state_action: StateAction | None
    effects: tuple[SideEffect, ...]
    stored: str | None


def process(stored: str | None, actions: Iterable[Action]) -> Outcome:
    """Predict the answer to `Process` for an entity whose stored value is ``stored``."""
    state_action: StateAction | None = None
    effects: list[SideEffect] = []
    forward: Forward | None = None
    for action in actions:
        match action:
            case Update() | Delete():
                state_action = action
            case Forward():
                forward = action
            case Effect(id, synchronous):
                effects.append(SideEffect(Call(TWO, "Call", id), synchronous))
            case Fail(message):
                return Outcome(Failed(message, ENTITY_FAILURE_RESTART), None, (), stored)
            case Skip():
                pass
    after = apply(stored, state_action)
    client: Replied | Forwarded = Forwarded(Call(TWO, "Call", forward.id)) if forward else Replied(state_of(after))
    return Outcome(client, state_action, tuple(effects), after)


def apply(stored: str | None, action: StateAction | None) -> str | None:
    """The stored value after a state action (VE-021, VE-022, VE-024)."""
    match action:
        case Update(value):
            return value
        case Delete():
            return None
        case None:
            return stored


def call_two(stored: str | None) -> Outcome:
    """`ValueEntityTwo/Call` and `ValueEntityConfigured/Call`: an empty reply, nothing else."""
    return Outcome(Replied(""), None, (), stored)


# The shared steps are part of this model's vocabulary: ve.Forward, ve.Fail, ...
__all__ = [
    "CONFIGURED",
    "CONFIGURED_PERSISTENCE_ID",
    "PERSISTENCE_ID",
    "SERVICE",
    "TWO",
    "TWO_PERSISTENCE_ID",
    "Action",
    "Delete",
    "Effect",
    "Fail",
    "Forward",
    "Outcome",
    "Skip",
    "StateAction",
    "Update",
    "apply",
    "call_two",
    "process",
    "state_of",
]
