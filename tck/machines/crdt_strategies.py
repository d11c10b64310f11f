"""What the CRDT machine draws: entity ids naming a type, model updates valid for a type, requests.

Elements, register values and map keys come from a handful of strings, so
that the actions of one command often meet on the same element or key; their
code-point order differs from their alphabetical order ("B" < "a" < "é"), to
exercise the sorting of TCKM-079 (other replicas add an empty string too).
"""

from __future__ import annotations

import functools

from cloudstate.tck.model import crdt_pb2 as m
from hypothesis import strategies as st

from tck import strategies
from tck.models import crdt_changes, crdt_messages
from tck.models.crdt_entity import Entity
from tck.models.crdt_values import BY_PREFIX, type_of

PREFIXES = sorted(BY_PREFIX)
elements = st.sampled_from(["a", "B", "é"])
levels = st.sampled_from([m.LOCAL, m.MAJORITY, m.ALL])
other_ids = st.sampled_from(["x", "y", "ü"])


def entity_id(prefix: str) -> st.SearchStrategy[str]:
    """Ids of entities of one type: the prefix, "-", and any short text (it may hold more "-")."""
    return strategies.ids.map(lambda rest: f"{prefix}-{rest}")


entity_ids = st.sampled_from(PREFIXES).flatmap(entity_id)


def _consistent(update: m.Update, level: m.UpdateWriteConsistency.ValueType) -> m.Update:
    copy = m.Update()
    copy.CopyFrom(update)
    copy.write_consistency = level
    return copy


#: Register clocks whose writes always win over the value written before them.
FORWARD_CLOCKS = (m.DEFAULT, m.CUSTOM_AUTO_INCREMENT)


@functools.cache
def updates(prefix: str, depth: int = 2, merge_safe: bool = False) -> st.SearchStrategy[m.Update]:
    """Updates of the type ``prefix`` names, at any write consistency; maps nest ``depth`` levels at most.

    ``merge_safe`` keeps to updates whose effect a merge with older state cannot change: register writes with
    :data:`FORWARD_CLOCKS` only, and no votes in maps (a nested vote's tally depends on the replicas that are up).
    """
    kinds = st.sampled_from(FORWARD_CLOCKS if merge_safe else [m.DEFAULT, m.REVERSE, m.CUSTOM, m.CUSTOM_AUTO_INCREMENT])
    clocks = st.none() | st.builds(m.LWWRegisterClock, clockType=kinds, customClockValue=st.integers(-3, 3))
    variants: dict[str, st.SearchStrategy[m.Update]] = {
        "GCounter": st.integers(0, 4).map(lambda n: m.Update(gcounter=m.GCounterUpdate(increment=n))),
        "PNCounter": st.integers(-4, 4).map(lambda n: m.Update(pncounter=m.PNCounterUpdate(change=n))),
        "GSet": elements.map(lambda e: m.Update(gset=m.GSetUpdate(add=e))),
        "ORSet": st.one_of(
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(add=e))),
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(add=e))),
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(remove=e))),
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(remove=e))),
            st.integers(0, 3).map(lambda n: m.Update(orset=m.ORSetUpdate(clear=n == 0))),
        ),
        "LWWRegister": st.builds(
            lambda value, clock: m.Update(lwwregister=m.LWWRegisterUpdate(value=value, clock=clock)), elements, clocks
        ),
        "Flag": st.just(m.Update(flag=m.FlagUpdate())),
        "Vote": st.booleans().map(lambda v: m.Update(vote=m.VoteUpdate(self_vote=v))),
    }
    if prefix == "ORMap":
        return st.builds(_consistent, _map_updates(depth, merge_safe).map(lambda u: m.Update(ormap=u)), levels)
    return st.builds(_consistent, variants[prefix], levels)


def map_keys(depth: int, votes: bool = True) -> st.SearchStrategy[str]:
    """Keys naming the type of their entry; a map nested ``depth`` levels deep holds no further maps."""
    prefixes = [p for p in PREFIXES if (depth > 1 or p != "ORMap") and (votes or p != "Vote")]
    return st.builds("{}-{}".format, st.sampled_from(prefixes), st.sampled_from(["1", "2"]))


def _map_updates(depth: int, merge_safe: bool) -> st.SearchStrategy[m.ORMapUpdate]:
    keys = map_keys(depth, votes=not merge_safe)
    entries = keys.flatmap(
        lambda key: updates(key.split("-")[0], depth - 1, merge_safe).map(
            lambda nested: m.ORMapEntryUpdate(key=key, update=nested)
        )
    )
    return st.one_of(
        keys.map(lambda key: m.ORMapUpdate(add=key)),
        entries.map(lambda entry: m.ORMapUpdate(update=entry)),
        entries.map(lambda entry: m.ORMapUpdate(update=entry)),
        keys.map(lambda key: m.ORMapUpdate(remove=key)),
        st.integers(0, 4).map(lambda n: m.ORMapUpdate(clear=n == 0)),
    )


def action(prefix: str, merge_safe: bool = False, fail_one_in: int = 12) -> st.SearchStrategy[m.RequestAction]:
    """One action of a `Process` command: mostly updates, some forwards, effects and failures (no delete)."""
    change = updates(prefix, merge_safe=merge_safe).map(lambda u: m.RequestAction(update=u))
    common = st.one_of(
        change,
        change,
        change,
        other_ids.map(lambda i: m.RequestAction(forward=m.Forward(id=i))),
        st.builds(lambda i, s: m.RequestAction(effect=m.Effect(id=i, synchronous=s)), other_ids, st.booleans()),
        st.just(m.RequestAction()),
    )
    failing = strategies.texts.map(lambda text: m.RequestAction(fail=m.Fail(message=text)))
    return st.integers(1, fail_one_in).flatmap(lambda n: failing if n == fail_one_in else common)


def _same_target(prefix: str) -> st.SearchStrategy[list[m.Update]]:
    """Two or three updates of one element, key or vote: where a net change differs from the sum of the steps."""
    orset = [lambda e: m.ORSetUpdate(add=e), lambda e: m.ORSetUpdate(remove=e)]
    if prefix == "ORSet":
        return elements.flatmap(
            lambda e: st.lists(st.sampled_from(orset).map(lambda make: m.Update(orset=make(e))), min_size=2, max_size=3)
        )
    if prefix == "ORMap":
        return map_keys(2).flatmap(
            lambda k: st.lists(
                st.one_of(
                    st.just(m.ORMapUpdate(add=k)),
                    st.just(m.ORMapUpdate(remove=k)),
                    updates(k.split("-")[0], 1).map(
                        lambda u: m.ORMapUpdate(update=m.ORMapEntryUpdate(key=k, update=u))
                    ),
                ).map(lambda u: m.Update(ormap=u)),
                min_size=2,
                max_size=3,
            )
        )
    return st.lists(updates(prefix), min_size=2, max_size=3)


@functools.cache
def actions(prefix: str) -> st.SearchStrategy[list[m.RequestAction]]:
    """The actions of one `Process` command (no delete: deleting ends the entity, a rule of its own)."""
    touching = _same_target(prefix).map(lambda us: [m.RequestAction(update=u) for u in us])
    groups = st.one_of(action(prefix).map(lambda a: [a]), action(prefix).map(lambda a: [a]), touching)
    return st.lists(groups, max_size=4).map(lambda gs: [a for g in gs for a in g])


@functools.cache
def effects() -> st.SearchStrategy[list[m.Effect]]:
    return st.lists(st.builds(m.Effect, id=other_ids, synchronous=st.booleans()), max_size=2)


@st.composite
def streamed_request(draw: st.DrawFn, entity: Entity) -> m.StreamedRequest:
    """A `ProcessStreamed` request for the entity; its end state is one that a later change may well reach."""
    prefix = type_of(entity.entity_id).PREFIX
    request = m.StreamedRequest(id=entity.entity_id, empty=draw(st.integers(0, 4)) == 0)
    request.effects.extend(draw(effects()))
    current = entity.draft()
    if draw(st.booleans()):
        request.initial_update.CopyFrom(draw(updates(prefix)))
        current = crdt_changes.update(current, request.initial_update)
    if draw(st.booleans()):
        request.cancel_update.CopyFrom(draw(updates(prefix)))
    if draw(st.booleans()):
        reached = crdt_changes.update(current, draw(updates(prefix))) if draw(st.booleans()) else current
        request.end_state.CopyFrom(crdt_messages.state(reached.after))
    return request
