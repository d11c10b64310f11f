"""Commands on an open CRDT entity stream: what the model predicts, reading the answers, and comparing them.

A command's answers are its reply and the streamed messages of the open calls
that hear of its change. Under a reviewed exclusion of a surplus delta
(``tck.machines.crdt_surplus``) the user function tells its open calls about a
change that did not happen; :func:`commands` then expects those messages too,
so that one excused requirement does not fail everything after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m

from tck.checks import Recorder
from tck.machines import crdt_checks as checks
from tck.machines import crdt_compare
from tck.machines.crdt_live import NOTHING, Live, shows_state
from tck.machines.crdt_surplus import excused
from tck.models import crdt as model
from tck.models.crdt_entity import notify
from tck.sdk.streams import Closed, Silence
from tck.wire import crdt as wire

Sent = tuple[int, str, m.Request | m.StreamedRequest]


def _predict(entity: model.Entity, sent: Sequence[Sent], reported: set[int]) -> model.Answer:
    """The model's answers to these commands; those in ``reported`` sent an excused surplus delta (crdt_surplus)."""
    out: list[c.CrdtStreamOut] = []
    for cid, _, payload in sent:
        if isinstance(payload, m.StreamedRequest):
            answer = model.process_streamed(entity, cid, payload)
        else:
            answer = model.process(entity, cid, payload)
            if cid in reported and answer.entity.value is not None:  # it took its surplus for a change: calls hear
                streams, told = notify(answer.entity.streams, answer.entity.value)
                answer = model.Answer(dataclasses.replace(answer.entity, streams=streams), answer.out + told)
        entity, out = answer.entity, [*out, *answer.out]
    return model.Answer(entity, tuple(out))


def commands(rec: Recorder, live: Live, sent: Sequence[Sent], how: crdt_compare.Expect) -> model.Answer:
    """Send commands, read and compare their answers, take the model's entity afterwards; returns the answer."""
    live.stream.send(
        *(wire.command(cid, live.entity.entity_id, name, p, name == model.PROCESS_STREAMED) for cid, name, p in sent)
    )
    reported: set[int] = set()
    answer, got = _predict(live.entity, sent, reported), list[c.CrdtStreamOut | Closed | Silence]()
    while len(got) < len(answer.out):
        item = live.stream.receive()
        got.append(item)
        if isinstance(item, Closed | Silence):
            break
        replies = {o.reply.command_id: o.reply for o in answer.out if o.HasField("reply")}
        cid = item.reply.command_id if item.HasField("reply") else None
        if cid in replies and excused(rec, replies[cid], item.reply):
            reported.add(cid)
            answer = _predict(live.entity, sent, reported)
    crdt_compare.compare(rec, answer.out, got, how)
    live.entity = answer.entity
    return answer


def command(rec: Recorder, live: Live, name: str, payload: m.Request | m.StreamedRequest) -> model.Answer:
    """One command and its answers: the reply shows the state the command made, then the open calls hear of it."""
    cid = live.take_id()
    predicted = _predict(live.entity, [(cid, name, payload)], set())
    reply = predicted.out[0].reply
    causes = live.unverified | {"command"}
    after = NOTHING if reply.client_action.HasField("reply") else causes
    if reply.state_action.HasField("update"):
        after |= {"own"}
    how = crdt_compare.Expect(
        checks.ANSWERS, live.kind, checks.state_check(causes), checks.state_check(after or causes)
    )
    answer = commands(rec, live, [(cid, name, payload)], how)
    if reply.client_action.HasField("failure"):
        live.unverified |= {"failed"}
    elif shows_state(answer.out[1:]):  # the state after the change was shown, but not when the own delta was applied
        live.unverified = after & {"own"}
    else:
        live.unverified = after
    return answer
