"""What the proxy CRDT machine draws: model updates, `Process` actions and `ProcessStreamed` requests.

Close to :mod:`tck.machines.crdt_strategies`, with two restrictions that keep
the proxy's state predictable without re-implementing it:

- register writes use the clocks that always move forward (``DEFAULT`` and
  ``CUSTOM_AUTO_INCREMENT``): a ``REVERSE`` or small ``CUSTOM`` clock loses the
  merge with the state the proxy persisted before (CRDT-LWW-005), so what the
  proxy keeps would depend on wall-clock values the TCK cannot see;
- map entries are never votes: a nested vote's tally depends on the replicas
  that are up, which the machine models only for top-level Vote entities.
"""

from __future__ import annotations

import functools

from cloudstate.tck.model import crdt_pb2 as m
from hypothesis import strategies as st

from tck import strategies
from tck.machines.crdt_strategies import PREFIXES, elements, levels
from tck.models import crdt_changes, crdt_messages
from tck.models.crdt_values import Value, type_of

#: The entities of an example: one per CRDT type (the id is "<type>-<example prefix>").
KINDS = st.sampled_from(PREFIXES)
#: Forward and side-effect targets; the machine makes them unique per step.
TARGETS = st.sampled_from(["x", "y", "ü"])
_CLOCKS = st.none() | st.builds(
    m.LWWRegisterClock,
    clockType=st.sampled_from([m.DEFAULT, m.CUSTOM_AUTO_INCREMENT]),
    customClockValue=st.integers(-3, 3),
)


def _consistent(update: m.Update, level: m.UpdateWriteConsistency.ValueType) -> m.Update:
    copy = m.Update()
    copy.CopyFrom(update)
    copy.write_consistency = level
    return copy


@functools.cache
def updates(prefix: str, depth: int = 2) -> st.SearchStrategy[m.Update]:
    """Updates of the type ``prefix`` names, at any write consistency; maps nest ``depth`` levels at most."""
    variants: dict[str, st.SearchStrategy[m.Update]] = {
        "GCounter": st.integers(0, 4).map(lambda n: m.Update(gcounter=m.GCounterUpdate(increment=n))),
        "PNCounter": st.integers(-4, 4).map(lambda n: m.Update(pncounter=m.PNCounterUpdate(change=n))),
        "GSet": elements.map(lambda e: m.Update(gset=m.GSetUpdate(add=e))),
        "ORSet": st.one_of(
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(add=e))),
            elements.map(lambda e: m.Update(orset=m.ORSetUpdate(remove=e))),
            st.integers(0, 3).map(lambda n: m.Update(orset=m.ORSetUpdate(clear=n == 0))),
        ),
        "LWWRegister": st.builds(
            lambda value, clock: m.Update(lwwregister=m.LWWRegisterUpdate(value=value, clock=clock)),
            elements,
            _CLOCKS,
        ),
        "Flag": st.just(m.Update(flag=m.FlagUpdate())),
        "Vote": st.booleans().map(lambda v: m.Update(vote=m.VoteUpdate(self_vote=v))),
    }
    if prefix == "ORMap":
        return st.builds(_consistent, _map_updates(depth).map(lambda u: m.Update(ormap=u)), levels)
    return st.builds(_consistent, variants[prefix], levels)


def _map_updates(depth: int) -> st.SearchStrategy[m.ORMapUpdate]:
    prefixes = [p for p in PREFIXES if p != "Vote" and (depth > 1 or p != "ORMap")]
    keys = st.builds("{}-{}".format, st.sampled_from(prefixes), st.sampled_from(["1", "2"]))
    entries = keys.flatmap(
        lambda key: updates(key.split("-")[0], depth - 1).map(lambda nested: m.ORMapEntryUpdate(key=key, update=nested))
    )
    return st.one_of(
        keys.map(lambda key: m.ORMapUpdate(add=key)),
        entries.map(lambda entry: m.ORMapUpdate(update=entry)),
        entries.map(lambda entry: m.ORMapUpdate(update=entry)),
        keys.map(lambda key: m.ORMapUpdate(remove=key)),
        st.integers(0, 4).map(lambda n: m.ORMapUpdate(clear=n == 0)),
    )


@functools.cache
def actions(prefix: str) -> st.SearchStrategy[list[m.RequestAction]]:
    """The actions of one `Process` command: mostly updates, some forwards, effects and failures (no delete)."""
    change = updates(prefix).map(lambda u: m.RequestAction(update=u))
    action = st.one_of(
        change,
        change,
        change,
        TARGETS.map(lambda i: m.RequestAction(forward=m.Forward(id=i))),
        st.builds(lambda i, s: m.RequestAction(effect=m.Effect(id=i, synchronous=s)), TARGETS, st.booleans()),
        st.just(m.RequestAction()),
    )
    failing = strategies.texts.map(lambda text: m.RequestAction(fail=m.Fail(message=text)))
    return st.lists(st.integers(0, 15).flatmap(lambda n: failing if n == 15 else action), max_size=4)


@st.composite
def streamed_request(draw: st.DrawFn, entity_id: str, value: Value | None, http: bool) -> m.StreamedRequest:
    """A `ProcessStreamed` request; its end state is one a later change may well reach.

    Over HTTP the call is never ``empty``: the proxy sends the response headers with the first message.
    """
    prefix = type_of(entity_id).PREFIX
    request = m.StreamedRequest(id=entity_id, empty=not http and draw(st.integers(0, 4)) == 0)
    request.effects.extend(draw(st.lists(st.builds(m.Effect, id=TARGETS, synchronous=st.booleans()), max_size=2)))
    current = crdt_changes.start(value) if value is not None else crdt_changes.create(type_of(entity_id))
    if draw(st.booleans()):
        request.initial_update.CopyFrom(draw(updates(prefix)))
        current = crdt_changes.update(current, request.initial_update)
    if draw(st.booleans()):
        request.cancel_update.CopyFrom(draw(updates(prefix)))
    if draw(st.integers(0, 2)) == 0:
        reached = crdt_changes.update(current, draw(updates(prefix)))
        request.end_state.CopyFrom(crdt_messages.state(reached.after))
    return request
