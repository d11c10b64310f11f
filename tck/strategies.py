"""Hypothesis strategies for the models' inputs: entity ids, command scripts, action requests.

Shared by the machines and the models' property tests. Texts are short but not
ASCII-only, so that encodings are exercised; failing actions are drawn less
often than the others so that most commands make progress.
"""

from __future__ import annotations

from typing import TypeVar

from hypothesis import strategies as st

from tck.models import action, eventsourced, valueentity

T = TypeVar("T")

texts = st.text(st.characters(codec="utf-8"), max_size=4)
ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6)
# Short, readable values make failing examples easier to read; non-ASCII ones still appear.
values = st.one_of(st.sampled_from("ABCDEFGHIJ"), texts)
flags = st.booleans()


def _mostly(common: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``rare`` about one draw in ten; shrinking moves towards ``common``."""
    return st.integers(0, 9).flatmap(lambda n: rare if n == 9 else common)


es_action: st.SearchStrategy[eventsourced.Action] = _mostly(
    st.one_of(
        st.builds(eventsourced.Emit, values),
        st.builds(eventsourced.Emit, values),
        st.builds(eventsourced.Effect, ids, flags),
        st.builds(eventsourced.Forward, ids),
        st.just(eventsourced.Skip()),
    ),
    st.builds(eventsourced.Fail, texts),
)
es_actions = st.lists(es_action, max_size=8)
es_emits = st.lists(st.builds(eventsourced.Emit, values), min_size=1, max_size=6)

ve_action: st.SearchStrategy[valueentity.Action] = _mostly(
    st.one_of(
        st.builds(valueentity.Update, values),
        st.builds(valueentity.Update, values),
        st.just(valueentity.Delete()),
        st.builds(valueentity.Effect, ids, flags),
        st.builds(valueentity.Forward, ids),
        st.just(valueentity.Skip()),
    ),
    st.builds(valueentity.Fail, texts),
)
ve_actions = st.lists(ve_action, max_size=6)
ve_changes = st.lists(
    st.one_of(st.builds(valueentity.Update, values), st.just(valueentity.Delete())), min_size=1, max_size=4
)

action_step: st.SearchStrategy[action.Step] = st.one_of(
    st.builds(action.Reply, texts),
    st.builds(action.Forward, ids),
    st.builds(action.Fail, texts),
    st.builds(action.Effect, ids, flags),
    st.just(action.Skip()),
)
action_group = st.lists(action_step, max_size=4).map(tuple)
action_request = st.lists(action_group, max_size=3).map(tuple)
action_requests = st.lists(action_request, max_size=3)
