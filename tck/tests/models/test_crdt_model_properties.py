"""Properties of the CRDT TCK model over random scripts (TCKM-067..092 and the user-function rules of spec 12)."""

from __future__ import annotations

import functools

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m
from hypothesis import given, settings
from hypothesis import strategies as st

from tck.models import crdt
from tck.models.crdt_messages import canonical, side_effects, sorted_state, state
from tck.models.crdt_values import BY_PREFIX, pack_string, receive, type_of

PREFIXES = sorted(BY_PREFIX)
texts = st.sampled_from(["a", "b", "c", "é", ""])
levels = st.sampled_from([m.LOCAL, m.MAJORITY, m.ALL])


def at_level(update: m.Update, level: m.UpdateWriteConsistency.ValueType) -> m.Update:
    copy = m.Update()
    copy.CopyFrom(update)
    copy.write_consistency = level
    return copy


@functools.cache
def updates(prefix: str, depth: int = 2) -> st.SearchStrategy[m.Update]:
    """Updates of the variant for ``prefix``; ORMap entries nest at most ``depth`` maps."""
    variant: st.SearchStrategy[m.Update]
    match prefix:
        case "GCounter":
            variant = st.builds(lambda n: m.Update(gcounter=m.GCounterUpdate(increment=n)), st.integers(0, 3))
        case "PNCounter":
            variant = st.builds(lambda n: m.Update(pncounter=m.PNCounterUpdate(change=n)), st.integers(-3, 3))
        case "GSet":
            variant = st.builds(lambda t: m.Update(gset=m.GSetUpdate(add=t)), texts)
        case "ORSet":
            variant = st.one_of(
                st.builds(lambda t: m.Update(orset=m.ORSetUpdate(add=t)), texts),
                st.builds(lambda t: m.Update(orset=m.ORSetUpdate(remove=t)), texts),
                st.builds(lambda b: m.Update(orset=m.ORSetUpdate(clear=b)), st.booleans()),
            )
        case "LWWRegister":
            kinds = st.sampled_from([m.DEFAULT, m.REVERSE, m.CUSTOM, m.CUSTOM_AUTO_INCREMENT])
            clocks = st.none() | st.builds(m.LWWRegisterClock, clockType=kinds, customClockValue=st.integers(-2, 2))
            register = st.builds(m.LWWRegisterUpdate, value=texts, clock=clocks)
            variant = st.builds(lambda r: m.Update(lwwregister=r), register)
        case "Flag":
            variant = st.just(m.Update(flag=m.FlagUpdate()))
        case "Vote":
            variant = st.builds(lambda v: m.Update(vote=m.VoteUpdate(self_vote=v)), st.booleans())
        case "ORMap":
            variant = st.builds(lambda u: m.Update(ormap=u), _map_updates(depth))
    return st.builds(at_level, variant, levels)


def _map_updates(depth: int) -> st.SearchStrategy[m.ORMapUpdate]:
    prefixes = [p for p in PREFIXES if depth > 1 or p != "ORMap"]
    keys = st.builds("{}-{}".format, st.sampled_from(prefixes), st.integers(0, 1))
    entries = keys.flatmap(
        lambda k: st.builds(lambda u: m.ORMapEntryUpdate(key=k, update=u), updates(k.split("-")[0], depth - 1))
    )
    return st.one_of(
        st.builds(lambda k: m.ORMapUpdate(add=k), keys),
        st.builds(lambda e: m.ORMapUpdate(update=e), entries),
        st.builds(lambda k: m.ORMapUpdate(remove=k), keys),
        st.builds(lambda n: m.ORMapUpdate(clear=n == 0), st.integers(0, 5)),
    )


def actions(prefix: str, failing: bool = True) -> st.SearchStrategy[list[m.RequestAction]]:
    ids = st.sampled_from(["x", "y"])
    change = updates(prefix).map(lambda u: m.RequestAction(update=u))
    common = st.one_of(
        change,
        change,
        st.builds(lambda i: m.RequestAction(forward=m.Forward(id=i)), ids),
        st.builds(lambda i, s: m.RequestAction(effect=m.Effect(id=i, synchronous=s)), ids, st.booleans()),
        st.just(m.RequestAction()),
    )
    rare = st.just(m.RequestAction(delete=m.Delete()))
    if failing:
        rare |= st.builds(lambda t: m.RequestAction(fail=m.Fail(message=t)), texts)
    return st.lists(st.integers(0, 9).flatmap(lambda n: rare if n == 9 else common), max_size=6)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[crdt.Entity, list[m.RequestAction]]:
    """An entity of a random type, with or without a value made by a first command, and a command's actions."""
    prefix = draw(st.sampled_from(PREFIXES))
    entity = crdt.Entity(f"{prefix}-1")
    if draw(st.booleans()):
        setup = [a for a in draw(actions(prefix, failing=False)) if a.WhichOneof("action") != "delete"]
        entity = crdt.process(entity, 1, m.Request(id=entity.entity_id, actions=setup)).entity
    return entity, draw(actions(prefix))


def reply_of(answer: crdt.Answer) -> c.CrdtReply:
    assert answer.out[0].WhichOneof("message") == "reply"
    return answer.out[0].reply


@given(scripts())
def test_the_delta_is_the_net_change_of_the_command(script: tuple[crdt.Entity, list[m.RequestAction]]) -> None:
    entity, request = script
    answer = crdt.process(entity, 2, m.Request(id=entity.entity_id, actions=request))
    got = reply_of(answer)
    if got.client_action.WhichOneof("action") == "failure" or got.state_action.HasField("delete"):
        return
    kind = type_of(entity.entity_id)
    before = entity.value if entity.value is not None else kind()
    if got.state_action.HasField("update"):
        assert receive(entity.value, got.state_action.update, kind, own=True) == answer.entity.value  # CRDT-023
        # Only a register write, a clear, or a map entry removed and created again can change nothing visible.
        assert answer.entity.value != before or kind.PREFIX in ("LWWRegister", "ORSet", "ORMap")
    else:
        assert answer.entity.value == before  # CRDT-024


@given(scripts())
def test_the_answer_follows_the_actions(script: tuple[crdt.Entity, list[m.RequestAction]]) -> None:
    entity, request = script
    answer = crdt.process(entity, 2, m.Request(id=entity.entity_id, actions=request))
    got, kinds = reply_of(answer), [a.WhichOneof("action") for a in request]
    if "fail" in kinds:  # TCKM-075, TCKM-076
        assert answer.entity == entity
        assert got.client_action.failure.description == request[kinds.index("fail")].fail.message
        assert not got.side_effects
        assert not got.HasField("state_action")
        return
    assert list(got.side_effects) == side_effects(a.effect for a in request if a.HasField("effect"))  # TCKM-074
    if "forward" in kinds:
        assert got.client_action.WhichOneof("action") == "forward"  # TCKM-073
    elif "delete" in kinds:  # TCKM-078: the reply shows the state the updates left
        kept = [a for a in request if not a.HasField("delete")]
        assert (
            got.client_action
            == reply_of(crdt.process(entity, 2, m.Request(id=entity.entity_id, actions=kept))).client_action
        )
    else:
        shown = m.Response.FromString(got.client_action.reply.payload.value).state
        assert shown == sorted_state(shown) == state(answer.entity.value or type_of(entity.entity_id)())  # TCKM-079
    levels = [a.update.write_consistency for a in request if a.HasField("update")]
    if got.HasField("state_action"):
        assert int(got.state_action.write_consistency) == int(levels[-1] if levels else m.LOCAL)  # TCKM-071
    assert canonical(canonical(answer.out[0])) == canonical(answer.out[0])


orset_states = st.builds(lambda es: m.State(orset=m.ORSetValue(elements=sorted(es))), st.sets(texts, max_size=2))
streamed_requests = st.builds(
    m.StreamedRequest,
    id=st.just("ORSet-s"),
    initial_update=st.none() | updates("ORSet"),
    cancel_update=st.none() | updates("ORSet"),
    empty=st.booleans(),
    end_state=st.none() | orset_states,
)
events = st.lists(
    st.one_of(
        st.tuples(st.just("command"), actions("ORSet", failing=False)),
        st.tuples(st.just("streamed"), streamed_requests),
        st.tuples(st.just("cancel"), st.integers(0, 5)),
        st.tuples(st.just("delta"), st.sets(texts, min_size=1, max_size=2)),
    ),
    max_size=12,
)


def step(entity: crdt.Entity, n: int, event: tuple[str, object]) -> crdt.Answer:
    """What the model answers to the ``n``-th event on the stream."""
    match event:
        case ("command", list(request)):
            return crdt.process(entity, n, m.Request(id=entity.entity_id, actions=request))
        case ("streamed", m.StreamedRequest() as request):
            return crdt.process_streamed(entity, n, request)
        case ("cancel", int(pick)) if entity.streams:
            return crdt.cancel(entity, entity.streams[pick % len(entity.streams)].command_id)
        case ("delta", set(added)):
            return crdt.receive_delta(entity, c.CrdtDelta(orset=c.ORSetDelta(added=[pack_string(t) for t in added])))
    return crdt.Answer(entity)


@settings(deadline=None)
@given(events)
def test_streamed_calls_hear_of_every_change_until_they_end(script: list[tuple[str, object]]) -> None:
    entity, finished = crdt.Entity("ORSet-s"), set[int]()
    for n, event in enumerate(script, start=1):
        requests = {s.command_id: s.request for s in entity.streams}
        answer = step(entity, n, event)
        messages = [o.streamed_message for o in answer.out if o.HasField("streamed_message")]
        ids = [message.command_id for message in messages]
        assert ids == sorted(ids)  # TCKM-090
        assert set(ids) <= set(requests) - finished  # TCKM-088, TCKM-092: only calls still open
        assert not any(requests[i].empty for i in ids)  # TCKM-086
        for out in answer.out:
            if out.HasField("stream_cancelled_response"):
                assert not out.stream_cancelled_response.side_effects  # TCKM-091
                finished.add(out.stream_cancelled_response.command_id)
        finished |= {message.command_id for message in messages if message.end_stream}
        assert not finished & {s.command_id for s in answer.entity.streams}
        entity = answer.entity
