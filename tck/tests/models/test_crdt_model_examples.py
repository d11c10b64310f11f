"""The CRDT TCK model on the examples of spec 15 and the rules they illustrate (TCKM-060..092)."""

from __future__ import annotations

import pytest
from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m
from google.protobuf import any_pb2

from tck.models import crdt
from tck.models.crdt_messages import canonical, forward, reply, side_effects, state
from tck.models.crdt_values import BY_PREFIX, ORMap, ORSet, Vote, pack_string


def update(**variant: object) -> m.RequestAction:
    return m.RequestAction(update=m.Update(**variant))  # type: ignore[arg-type]


def orset(**action: str | bool) -> m.RequestAction:
    return update(orset=m.ORSetUpdate(**action))  # type: ignore[arg-type]


def strings(*texts: str) -> list[any_pb2.Any]:
    return [pack_string(t) for t in texts]


def only_reply(answer: crdt.Answer) -> c.CrdtReply:
    (out,) = answer.out
    return out.reply


def run(entity_id: str, *actions: m.RequestAction, entity: crdt.Entity | None = None) -> crdt.Answer:
    return crdt.process(entity or crdt.Entity(entity_id), 1, m.Request(id=entity_id, actions=actions))


def vote_state(self_vote: bool, votes_for: int, total: int = 1) -> m.State:
    return m.State(vote=m.VoteValue(self_vote=self_vote, votes_for=votes_for, total_voters=total))


def streamed_message(command_id: int, value: m.State, end: bool = False) -> c.CrdtStreamOut:
    message = c.CrdtStreamedMessage(command_id=command_id, client_action=reply(value), end_stream=end)
    return c.CrdtStreamOut(streamed_message=message)


@pytest.mark.parametrize(
    ("actions", "before", "after", "delta"),
    [
        ([orset(add="a"), orset(add="b")], set(), {"a", "b"}, c.ORSetDelta(added=strings("a", "b"))),
        ([orset(add="b"), orset(add="c")], {"a", "b"}, {"a", "b", "c"}, c.ORSetDelta(added=strings("c"))),
        ([orset(add="c"), orset(add="a")], {"a", "b", "c"}, {"a", "b", "c"}, None),
        ([orset(remove="b"), orset(remove="d")], {"a", "b", "c"}, {"a", "c"}, c.ORSetDelta(removed=strings("b"))),
        (
            [orset(remove="c"), orset(remove="d"), orset(add="b"), orset(add="c")],
            {"a", "c"},
            {"a", "b", "c"},
            c.ORSetDelta(added=strings("b")),
        ),
        (
            [orset(add="a"), orset(clear=True), orset(add="x")],
            set(),
            {"x"},
            c.ORSetDelta(cleared=True, added=strings("x")),
        ),
    ],
)
def test_the_orset_examples(
    actions: list[m.RequestAction], before: set[str], after: set[str], delta: c.ORSetDelta | None
) -> None:
    answer = run("ORSet-1", *actions, entity=crdt.Entity("ORSet-1", ORSet(frozenset(before))))
    got = only_reply(answer)
    assert got.client_action == reply(state(ORSet(frozenset(after))))
    assert answer.entity.value == ORSet(frozenset(after))
    expected = c.CrdtStateAction(update=c.CrdtDelta(orset=delta)) if delta else c.CrdtStateAction()
    assert got.state_action == expected


def test_the_vote_example() -> None:
    first = crdt.process_streamed(crdt.init("Vote-3", None).entity, 1, m.StreamedRequest(id="Vote-3"))
    opened = c.CrdtReply(command_id=1, streamed=True, client_action=reply(vote_state(False, 0)))
    assert first.out == (c.CrdtStreamOut(reply=opened),)
    connect = m.StreamedRequest(
        id="Vote-3",
        initial_update=m.Update(vote=m.VoteUpdate(self_vote=True)),
        cancel_update=m.Update(vote=m.VoteUpdate(self_vote=False)),
        empty=True,
    )
    second = crdt.process_streamed(first.entity, 2, connect)
    voted = c.CrdtReply(command_id=2, streamed=True)
    voted.state_action.update.vote.self_vote = True
    assert second.out == (c.CrdtStreamOut(reply=voted), streamed_message(1, vote_state(True, 1)))
    third = crdt.cancel(second.entity, 2)
    withdrawn = c.CrdtStreamCancelledResponse(command_id=2)
    withdrawn.state_action.update.vote.self_vote = False
    assert third.out == (
        c.CrdtStreamOut(stream_cancelled_response=withdrawn),
        streamed_message(1, vote_state(False, 0)),
    )
    assert [s.command_id for s in third.entity.streams] == [1]


def test_every_type_starts_empty_and_only_a_new_register_is_a_change() -> None:
    for prefix, kind in BY_PREFIX.items():
        got = only_reply(run(f"{prefix}-x"))
        assert got.client_action == reply(state(kind()))  # TCKM-062, TCKM-064
        if prefix == "LWWRegister":  # TCKM-063
            assert got.state_action.update.lwwregister == c.LWWRegisterDelta(value=pack_string(""))
        else:
            assert not got.HasField("state_action")


def test_register_writes_carry_their_clock_and_always_count() -> None:
    clock = m.LWWRegisterClock(clockType=m.CUSTOM_AUTO_INCREMENT, customClockValue=7)
    first = run("LWWRegister-r", update(lwwregister=m.LWWRegisterUpdate(value="v", clock=clock)))
    written = c.LWWRegisterDelta(value=pack_string("v"), clock=c.CUSTOM_AUTO_INCREMENT, custom_clock_value=7)
    assert only_reply(first).state_action.update.lwwregister == written  # TCKM-069
    again = run("LWWRegister-r", update(lwwregister=m.LWWRegisterUpdate(value="v")), entity=first.entity)
    assert only_reply(again).state_action.update.lwwregister == c.LWWRegisterDelta(value=pack_string("v"))  # TCKM-070


def test_failures_carry_nothing_and_change_nothing() -> None:
    before = crdt.Entity("GCounter-f")
    actions = [update(gcounter=m.GCounterUpdate(increment=2)), m.RequestAction(effect=m.Effect(id="e"))]
    answer = run(
        "GCounter-f", *actions, m.RequestAction(fail=m.Fail(message="no")), orset(add="ignored"), entity=before
    )
    failed = c.CrdtReply(command_id=1)
    failed.client_action.failure.command_id, failed.client_action.failure.description = 1, "no"
    assert answer == crdt.Answer(before, (c.CrdtStreamOut(reply=failed),))  # TCKM-075, TCKM-076


def test_forwards_effects_and_the_last_write_consistency() -> None:
    actions = [
        update(pncounter=m.PNCounterUpdate(change=-3), write_consistency=m.ALL),
        m.RequestAction(forward=m.Forward(id="first")),
        m.RequestAction(effect=m.Effect(id="e1", synchronous=True)),
        update(pncounter=m.PNCounterUpdate(change=1), write_consistency=m.MAJORITY),
        m.RequestAction(forward=m.Forward(id="second")),
        m.RequestAction(effect=m.Effect(id="e2")),
    ]
    got = only_reply(run("PNCounter-p", *actions))
    assert got.client_action == forward("second")  # TCKM-073
    assert list(got.side_effects) == side_effects([m.Effect(id="e1", synchronous=True), m.Effect(id="e2")])
    assert got.state_action == c.CrdtStateAction(
        update=c.CrdtDelta(pncounter=c.PNCounterDelta(change=-2)), write_consistency=c.MAJORITY
    )


def test_a_delete_replaces_the_delta_and_ends_the_entity() -> None:
    answer = run("Flag-d", update(flag=m.FlagUpdate(), write_consistency=m.ALL), m.RequestAction(delete=m.Delete()))
    got = only_reply(answer)
    assert got.state_action == c.CrdtStateAction(delete=c.CrdtDelete(), write_consistency=c.ALL)  # TCKM-072
    assert got.client_action == reply(m.State(flag=m.FlagValue(value=True)))  # TCKM-078
    assert answer.entity.deleted
    assert crdt.receive_delete(crdt.Entity("Flag-d")).out == ()  # TCKM-080


def test_the_other_services() -> None:
    asked = crdt.call_two(5, m.Request(id="x", actions=[m.RequestAction(delete=m.Delete()), orset(add="a")]))
    assert asked.reply == c.CrdtReply(
        command_id=5, client_action=reply(None), state_action=c.CrdtStateAction(delete=c.CrdtDelete())
    )
    assert crdt.call_two(6, m.Request(id="x", actions=[orset(add="a")])).reply == c.CrdtReply(
        command_id=6, client_action=reply(None)
    )
    assert crdt.call_configured(7).reply == c.CrdtReply(command_id=7, client_action=reply(None))  # TCKM-082


def entry(key: str, change: m.Update) -> m.RequestAction:
    return update(ormap=m.ORMapUpdate(update=m.ORMapEntryUpdate(key=key, update=change)))


def test_ormap_deltas_follow_the_map_rules() -> None:
    counter = m.Update(gcounter=m.GCounterUpdate(increment=2))
    start = run(
        "ORMap-m", entry("GCounter-a", counter), entry("GCounter-b", counter), update(ormap=m.ORMapUpdate(add="Flag-f"))
    )
    added = only_reply(start).state_action.update.ormap
    assert [
        (pack_string("Flag-f"), "flag"),
        (pack_string("GCounter-a"), "gcounter"),
        (pack_string("GCounter-b"), "gcounter"),
    ] == [
        (e.key, e.delta.WhichOneof("delta")) for e in added.added
    ]  # CRDT-ORMAP-002: a new flag is sent with its (false) value
    again = run(
        "ORMap-m",
        update(ormap=m.ORMapUpdate(remove="GCounter-a")),
        entry("GCounter-a", counter),
        entry("GCounter-b", counter),
        update(ormap=m.ORMapUpdate(remove="Flag-f")),
        entity=start.entity,
    )
    delta = only_reply(again).state_action.update.ormap
    assert list(delta.removed) == strings("Flag-f", "GCounter-a")  # CRDT-ORMAP-004
    assert [(e.key, e.delta.gcounter.increment) for e in delta.added] == [(pack_string("GCounter-a"), 2)]
    assert [(e.key, e.delta.gcounter.increment) for e in delta.updated] == [(pack_string("GCounter-b"), 2)]
    cleared = only_reply(run("ORMap-m", update(ormap=m.ORMapUpdate(clear=True)), entity=again.entity))
    assert cleared.state_action.update == c.CrdtDelta(ormap=c.ORMapDelta(cleared=True))  # CRDT-ORMAP-003


def test_deltas_from_the_proxy_reach_the_streamed_calls_until_their_end_state() -> None:
    entity = crdt.init("ORMap-s", c.CrdtDelta(ormap=c.ORMapDelta())).entity
    assert entity.value == ORMap()
    ends = m.State(ormap=m.ORMapValue(entries=[m.ORMapEntryValue(key="Vote-v", value=vote_state(True, 2, 3))]))
    effects = [m.Effect(id="s", synchronous=True)]
    entity = crdt.process_streamed(entity, 1, m.StreamedRequest(id="ORMap-s", end_state=ends, effects=effects)).entity
    entity = crdt.process_streamed(entity, 2, m.StreamedRequest(id="ORMap-s", empty=True)).entity
    vote = c.CrdtDelta(vote=c.VoteDelta(self_vote=True, votes_for=1, total_voters=3))
    first = crdt.receive_delta(
        entity, c.CrdtDelta(ormap=c.ORMapDelta(added=[c.ORMapEntryDelta(key=pack_string("Vote-v"), delta=vote)]))
    )
    (message,) = first.out
    assert message.streamed_message.client_action == reply(state(ORMap({"Vote-v": Vote(True, 1, 3)})))
    assert list(message.streamed_message.side_effects) == side_effects(effects)  # TCKM-087
    vote.vote.votes_for = 2
    second = crdt.receive_delta(
        first.entity,
        c.CrdtDelta(ormap=c.ORMapDelta(updated=[c.ORMapEntryDelta(key=pack_string("Vote-v"), delta=vote)])),
    )
    (last,) = second.out
    assert last.streamed_message.end_stream  # TCKM-088
    assert [s.command_id for s in second.entity.streams] == [2]


def test_a_delta_of_another_type_fails_the_stream() -> None:
    answer = crdt.init("GSet-g", c.CrdtDelta(gcounter=c.GCounterDelta(increment=1)))
    (out,) = answer.out
    assert out.WhichOneof("message") == "failure"  # CRDT-018


def test_the_canonical_form_ignores_order_and_ignored_fields() -> None:
    a = c.CrdtReply(command_id=1)
    a.state_action.update.ormap.removed.extend(strings("b", "a"))
    a.state_action.update.ormap.added.add(key=pack_string("Vote-1")).delta.vote.votes_for = 4
    a.state_action.update.ormap.added.add(key=pack_string("GSet-1")).delta.gset.added.extend(strings("y", "x"))
    b = c.CrdtReply(command_id=1)
    b.state_action.update.ormap.removed.extend(strings("a", "b"))
    b.state_action.update.ormap.added.add(key=pack_string("GSet-1")).delta.gset.added.extend(strings("x", "y"))
    b.state_action.update.ormap.added.add(key=pack_string("Vote-1")).delta.vote.SetInParent()
    assert canonical(c.CrdtStreamOut(reply=a)) == canonical(c.CrdtStreamOut(reply=b))
    assert canonical(c.CrdtStreamOut(reply=a)) != c.CrdtStreamOut(reply=a)
