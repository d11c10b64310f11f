"""What the proxy CRDT machine draws: model updates, `Process` actions and `ProcessStreamed` requests.

Close to :mod:`tck.machines.crdt_strategies`, with two restrictions that keep
the proxy's state predictable without re-implementing it:

- register writes use the clocks that always move forward (``DEFAULT`` and
  ``CUSTOM_AUTO_INCREMENT``): a ``REVERSE`` or small ``CUSTOM`` clock loses the
  merge with the state the proxy persisted before (CRDT-LWW-005), so what the
  proxy keeps would depend on wall-clock values the TCK cannot see;
- map entries are never votes: a nested vote's tally depends on the replicas
  that are up, which the machine models only for top-level Vote entities.

Both are ``merge_safe`` of :func:`tck.machines.crdt_strategies.updates`.
"""

from __future__ import annotations

import functools

from cloudstate.tck.model import crdt_pb2 as m
from hypothesis import strategies as st

from tck.machines import crdt_strategies as machine
from tck.machines.crdt_strategies import PREFIXES
from tck.models import crdt_changes, crdt_messages
from tck.models.crdt_values import Value, type_of

#: The entities of an example: one per CRDT type (the id is "<type>-<example prefix>").
KINDS = st.sampled_from(PREFIXES)


@functools.cache
def updates(prefix: str) -> st.SearchStrategy[m.Update]:
    """Updates of the type ``prefix`` names, at any write consistency, whose effect the proxy's merges keep."""
    return machine.updates(prefix, merge_safe=True)


@functools.cache
def actions(prefix: str) -> st.SearchStrategy[list[m.RequestAction]]:
    """The actions of one `Process` command: mostly updates, some forwards, effects and failures (no delete)."""
    return st.lists(machine.action(prefix, merge_safe=True, fail_one_in=16), max_size=4)


@st.composite
def streamed_request(draw: st.DrawFn, entity_id: str, value: Value | None, http: bool) -> m.StreamedRequest:
    """A `ProcessStreamed` request; its end state is one a later change may well reach.

    Over HTTP the call is never ``empty``: the proxy sends the response headers with the first message.
    """
    prefix = type_of(entity_id).PREFIX
    request = m.StreamedRequest(id=entity_id, empty=not http and draw(st.integers(0, 4)) == 0)
    request.effects.extend(draw(machine.effects()))
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
