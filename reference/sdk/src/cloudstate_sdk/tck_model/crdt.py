"""The CRDT TCK model (cloudstate/tck/model/crdt.proto).

The entity id's prefix (``GCounter-1``, ``ORMap-x``, ...) chooses the CRDT type,
and so does the key prefix of every ORMap entry. Elements, keys and register
values are strings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cloudstate.tck.model import crdt_pb2 as pb

from cloudstate_sdk.crdt import CrdtContext, CrdtEntity, StreamCancelledContext, SubscriptionContext
from cloudstate_sdk.crdts import (
    Clock,
    Crdt,
    Flag,
    GCounter,
    GSet,
    LWWRegister,
    ORMap,
    ORSet,
    PNCounter,
    Vote,
    WriteConsistency,
)
from cloudstate_sdk.outcomes import Forward

_services = pb.DESCRIPTOR.services_by_name

_FACTORIES: dict[str, Callable[[], Crdt]] = {
    "GCounter": GCounter,
    "PNCounter": PNCounter,
    "GSet": GSet,
    "ORSet": ORSet,
    "LWWRegister": lambda: LWWRegister(""),  # creating it sets "", which is itself a change
    "Flag": Flag,
    "ORMap": ORMap,
    "Vote": Vote,
}


def new_crdt(name: str) -> Crdt:
    """A new CRDT of the type that ``name``'s prefix (before the first "-") names."""
    return _FACTORIES[name.split("-", 1)[0]]()


model = CrdtEntity(_services["CrdtTckModel"], persistence_id="crdt-tck-model", initial_state=new_crdt)
two = CrdtEntity(_services["CrdtTwo"], persistence_id="crdt-tck-model-two")
configured = CrdtEntity(
    _services["CrdtConfigured"], persistence_id="crdt-configured", passivation_timeout=timedelta(milliseconds=100)
)
_call_two = two.call_ref("Call")


def apply_update(crdt: Any, update: pb.Update) -> None:
    kind = update.WhichOneof("update")
    if kind == "gcounter":
        crdt.increment(update.gcounter.increment)
    elif kind == "pncounter":
        crdt.increment(update.pncounter.change)
    elif kind == "gset":
        crdt.add(update.gset.add)
    elif kind == "orset":
        change = update.orset.WhichOneof("action")
        if change == "add":
            crdt.add(update.orset.add)
        elif change == "remove":
            crdt.remove(update.orset.remove)
        elif change == "clear" and update.orset.clear:
            crdt.clear()
    elif kind == "lwwregister":
        clock = update.lwwregister.clock
        crdt.set(update.lwwregister.value, Clock(clock.clockType), clock.customClockValue)
    elif kind == "flag":
        crdt.enable()
    elif kind == "ormap":
        _apply_map_update(crdt, update.ormap)
    elif kind == "vote":
        crdt.vote(update.vote.self_vote)


def _apply_map_update(crdt: ORMap, update: pb.ORMapUpdate) -> None:
    change = update.WhichOneof("action")
    if change == "add":
        crdt.get_or_create(update.add, lambda: new_crdt(update.add))
    elif change == "update":
        key = update.update.key
        apply_update(crdt.get_or_create(key, lambda: new_crdt(key)), update.update.update)
    elif change == "remove":
        crdt.remove(update.remove)
    elif change == "clear" and update.clear:
        crdt.clear()


def state_of(crdt: Crdt) -> pb.State:
    """The model's view of a CRDT, with elements and entries sorted."""
    if isinstance(crdt, GCounter):
        return pb.State(gcounter=pb.GCounterValue(value=crdt.value))
    if isinstance(crdt, PNCounter):
        return pb.State(pncounter=pb.PNCounterValue(value=crdt.value))
    if isinstance(crdt, GSet):
        return pb.State(gset=pb.GSetValue(elements=sorted(crdt)))
    if isinstance(crdt, ORSet):
        return pb.State(orset=pb.ORSetValue(elements=sorted(crdt)))
    if isinstance(crdt, LWWRegister):
        return pb.State(lwwregister=pb.LWWRegisterValue(value=crdt.value or ""))
    if isinstance(crdt, Flag):
        return pb.State(flag=pb.FlagValue(value=crdt.enabled))
    if isinstance(crdt, ORMap):
        entries = [pb.ORMapEntryValue(key=key, value=state_of(value)) for key, value in sorted(crdt.items())]
        return pb.State(ormap=pb.ORMapValue(entries=entries))
    assert isinstance(crdt, Vote)
    return pb.State(
        vote=pb.VoteValue(self_vote=crdt.self_vote, votes_for=crdt.votes_for, total_voters=crdt.total_voters)
    )


@model.command("Process")
def process(state: Crdt, request: pb.Request, ctx: CrdtContext) -> pb.Response | Forward:
    forward: Forward | None = None
    for action in request.actions:
        kind = action.WhichOneof("action")
        if kind == "update":
            apply_update(state, action.update)
            ctx.write_consistency = WriteConsistency(action.update.write_consistency)
        elif kind == "delete":
            ctx.delete()
        elif kind == "forward":
            forward = ctx.forward(_call_two.create_call(pb.Request(id=action.forward.id)))
        elif kind == "effect":
            ctx.effect(_call_two.create_call(pb.Request(id=action.effect.id)), synchronous=action.effect.synchronous)
        elif kind == "fail":
            ctx.fail(action.fail.message)  # stops here; the command's changes are undone
    return forward if forward is not None else pb.Response(state=state_of(state))


@model.command("ProcessStreamed")
def process_streamed(state: Crdt, request: pb.StreamedRequest, ctx: CrdtContext) -> pb.Response | None:
    if request.HasField("initial_update"):
        apply_update(state, request.initial_update)
        ctx.write_consistency = WriteConsistency(request.initial_update.write_consistency)
    if ctx.streamed:

        def changed(current: Crdt, sub: SubscriptionContext) -> pb.Response | None:
            if request.empty:
                return None
            for effect in request.effects:
                sub.effect(_call_two.create_call(pb.Request(id=effect.id)), synchronous=effect.synchronous)
            now = state_of(current)
            if request.HasField("end_state") and now == request.end_state:
                sub.end_stream()
            return pb.Response(state=now)

        def cancelled(current: Crdt, cancel: StreamCancelledContext) -> None:
            if request.HasField("cancel_update"):
                apply_update(current, request.cancel_update)
                cancel.write_consistency = WriteConsistency(request.cancel_update.write_consistency)

        ctx.on_change(changed)
        ctx.on_cancel(cancelled)
    return None if request.empty else pb.Response(state=state_of(state))


@two.command("Call")
def two_call(state: Crdt | None, request: pb.Request, ctx: CrdtContext) -> pb.Response:
    if any(action.HasField("delete") for action in request.actions):
        ctx.delete()
    return pb.Response()


@configured.command("Call")
def configured_call(state: Crdt | None, request: pb.Request, ctx: CrdtContext) -> pb.Response:
    return pb.Response()


entities = [model, two, configured]
