"""The CRDT model's messages on the wire: building the answers, and the canonical form for comparing them.

A user function may list the elements of a delta in any order, and the proxy
ignores some fields of the deltas it receives (the tallies of a VoteDelta,
CRDT-VOTE-002; the custom clock value of a register write whose clock is not
a custom one). :func:`canonical` puts both predicted and observed messages in
one form: repeated elements and map entries sorted, ignored fields cleared,
metadata cleared, and the description of a stream-level failure cleared (the
model cannot predict its wording).
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudstate import crdt_pb2, entity_pb2
from cloudstate.tck.model import crdt_pb2 as model_pb2
from google.protobuf import any_pb2
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

from tck.models.crdt_values import Flag, GCounter, GSet, LWWRegister, ORMap, ORSet, PNCounter, Value, Vote
from tck.wire.common import normalised_action, normalised_effects, pack

TWO = "cloudstate.tck.model.crdt.CrdtTwo"
CALL = "Call"


def call_two(id: str) -> any_pb2.Any:
    return pack(model_pb2.Request(id=id))


def side_effects(effects: Iterable[model_pb2.Effect]) -> list[entity_pb2.SideEffect]:
    """Side effects calling `CrdtTwo/Call` (TCKM-074, TCKM-087)."""
    return [
        entity_pb2.SideEffect(service_name=TWO, command_name=CALL, payload=call_two(e.id), synchronous=e.synchronous)
        for e in effects
    ]


def forward(id: str) -> entity_pb2.ClientAction:
    """A forward to `CrdtTwo/Call` (TCKM-073)."""
    return entity_pb2.ClientAction(
        forward=entity_pb2.Forward(service_name=TWO, command_name=CALL, payload=call_two(id))
    )


def reply(state: model_pb2.State | None) -> entity_pb2.ClientAction:
    """A reply with `Response{state}`; None gives the empty Response of the `Call` methods."""
    response = model_pb2.Response(state=state) if state is not None else model_pb2.Response()
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(response)))


def failure(command_id: int, description: str) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(failure=entity_pb2.Failure(command_id=command_id, description=description))


def canonical(message: crdt_pb2.CrdtStreamOut) -> crdt_pb2.CrdtStreamOut:
    """A copy in the canonical form described above."""
    copy = crdt_pb2.CrdtStreamOut()
    copy.CopyFrom(message)
    kind = copy.WhichOneof("message")
    if kind == "failure":
        copy.failure.ClearField("description")
        return copy
    part = getattr(copy, kind) if kind else None
    if isinstance(part, crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamedMessage) and part.HasField("client_action"):
        part.client_action.CopyFrom(normalised_action(part.client_action))
    if isinstance(part, crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamedMessage | crdt_pb2.CrdtStreamCancelledResponse):
        effects = normalised_effects(part.side_effects)
        del part.side_effects[:]
        part.side_effects.extend(effects)
    if isinstance(part, crdt_pb2.CrdtReply | crdt_pb2.CrdtStreamCancelledResponse):
        action = part.state_action
        if action.HasField("update"):
            canonical_delta(action.update)
    return copy


def canonical_delta(delta: crdt_pb2.CrdtDelta) -> None:
    """Sort and clear a delta from the user function in place."""
    kind = delta.WhichOneof("delta")
    if kind == "gset":
        _sort(delta.gset.added)
    elif kind == "orset":
        _sort(delta.orset.removed)
        _sort(delta.orset.added)
    elif kind == "lwwregister" and delta.lwwregister.clock in (crdt_pb2.DEFAULT, crdt_pb2.REVERSE):
        delta.lwwregister.ClearField("custom_clock_value")
    elif kind == "vote":
        delta.vote.ClearField("votes_for")
        delta.vote.ClearField("total_voters")
    elif kind == "ormap":
        _sort(delta.ormap.removed)
        for entries in (delta.ormap.updated, delta.ormap.added):
            for entry in entries:
                canonical_delta(entry.delta)
            ordered = sorted(entries, key=lambda e: (e.key.type_url, e.key.value))
            copies = [crdt_pb2.ORMapEntryDelta(key=e.key, delta=e.delta) for e in ordered]
            del entries[:]
            entries.extend(copies)


def _sort(payloads: RepeatedCompositeFieldContainer[any_pb2.Any]) -> None:
    ordered = sorted((p.type_url, p.value) for p in payloads)
    del payloads[:]
    payloads.extend(any_pb2.Any(type_url=t, value=v) for t, v in ordered)


def sorted_state(state: model_pb2.State) -> model_pb2.State:
    """A copy of a `State` with its elements and entries in ascending order, at every level."""
    copy = model_pb2.State()
    copy.CopyFrom(state)
    kind = copy.WhichOneof("value")
    if kind in ("gset", "orset"):
        elements = sorted(getattr(copy, kind).elements)
        del getattr(copy, kind).elements[:]
        getattr(copy, kind).elements.extend(elements)
    elif kind == "ormap":
        entries = sorted(copy.ormap.entries, key=lambda e: e.key)
        ordered = [model_pb2.ORMapEntryValue(key=e.key, value=sorted_state(e.value)) for e in entries]
        del copy.ormap.entries[:]
        copy.ormap.entries.extend(ordered)
    return copy


def state(value: Value) -> model_pb2.State:
    """The model's rendering of a value, sorted at every level (TCKM-079)."""
    match value:
        case GCounter(n):
            return model_pb2.State(gcounter=model_pb2.GCounterValue(value=n))
        case PNCounter(n):
            return model_pb2.State(pncounter=model_pb2.PNCounterValue(value=n))
        case GSet(elements):
            return model_pb2.State(gset=model_pb2.GSetValue(elements=sorted(elements)))
        case ORSet(elements):
            return model_pb2.State(orset=model_pb2.ORSetValue(elements=sorted(elements)))
        case LWWRegister(text):
            return model_pb2.State(lwwregister=model_pb2.LWWRegisterValue(value=text))
        case Flag(on):
            return model_pb2.State(flag=model_pb2.FlagValue(value=on))
        case ORMap(entries):
            listed = [model_pb2.ORMapEntryValue(key=k, value=state(entries[k])) for k in sorted(entries)]
            return model_pb2.State(ormap=model_pb2.ORMapValue(entries=listed))
        case Vote(self_vote, votes_for, total_voters):
            vote = model_pb2.VoteValue(self_vote=self_vote, votes_for=votes_for, total_voters=total_voters)
            return model_pb2.State(vote=vote)
