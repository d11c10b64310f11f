"""One open CRDT entity stream of the machine, and the exchanges on it: send, read the predicted answers, compare.

Besides the model's view of the entity, a stream remembers what changed its
value since a message last showed it (``unverified``), so that a wrong state
is reported under the check of its likely cause (``crdt_checks.state_check``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m

from tck.checks import Check, Recorder
from tck.machines import crdt_checks as checks
from tck.machines import crdt_compare
from tck.machines import entity as common
from tck.models import crdt as model
from tck.models.crdt_values import Value, type_of
from tck.sdk.driver import CrdtStream
from tck.sdk.streams import Closed, Silence
from tck.wire import crdt as wire

Causes = frozenset[str]
NOTHING: Causes = frozenset()


@dataclasses.dataclass
class Live:
    stream: CrdtStream
    entity: model.Entity
    next_id: int = 1
    unverified: Causes = frozenset({"init"})

    @property
    def kind(self) -> type[Value]:
        return type_of(self.entity.entity_id)

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def read(stream: CrdtStream, count: int) -> list[c.CrdtStreamOut | Closed | Silence]:
    """Up to ``count`` answers; an end of the stream or a silence stops the reading and is the last item."""
    items: list[c.CrdtStreamOut | Closed | Silence] = []
    while len(items) < count:
        item = stream.receive()
        items.append(item)
        if isinstance(item, Closed | Silence):
            break
    return items


def shows_state(outs: Sequence[c.CrdtStreamOut]) -> bool:
    """Whether one of these answers shows the entity's state (a reply, or a streamed message, with a payload)."""
    for out in outs:
        part = (
            out.reply if out.HasField("reply") else out.streamed_message if out.HasField("streamed_message") else None
        )
        if part is not None and part.client_action.HasField("reply"):
            return True
    return False


def exchange(
    rec: Recorder, live: Live, sent: Sequence[c.CrdtStreamIn], answer: model.Answer, how: crdt_compare.Expect
) -> None:
    """Send ``sent``, compare what comes back with ``answer.out``, and take the model's entity afterwards."""
    live.stream.send(*sent)
    crdt_compare.compare(rec, answer.out, read(live.stream, len(answer.out)), how)
    live.entity = answer.entity


def change(rec: Recorder, live: Live, sent: c.CrdtStreamIn, answer: model.Answer, cause: str, trigger: Check) -> None:
    """A change that is not a command (a delta from the proxy, a cancellation): the open calls hear of it."""
    causes = live.unverified | {cause}
    first = answer.out[0] if answer.out else c.CrdtStreamOut()
    if first.HasField("stream_cancelled_response"):  # the cancel update changed the value, or nothing did
        changed = first.stream_cancelled_response.state_action.HasField("update")
        causes = live.unverified | {cause, "own"} if changed else live.unverified
    state = checks.state_check(causes or frozenset({cause}))
    exchange(rec, live, [sent], answer, crdt_compare.Expect(trigger, live.kind, state, state))
    live.unverified = (causes & {"own"}) if shows_state(answer.out) else causes


def malformed(
    rec: Recorder,
    stream: CrdtStream,
    sent: Sequence[c.CrdtStreamIn],
    entity_id: str,
    probe_id: int,
    expected: Sequence[c.CrdtStreamOut],
    check: Check,
) -> None:
    """Send something the user function must fail the stream for, and a command right behind it.

    The command stays unanswered by a conforming user function (FAIL-015); one
    that took the bad message answers it, which shows at once instead of after
    a silence.
    """
    stream.send(*sent, wire.command(probe_id, entity_id, model.PROCESS, m.Request(id=entity_id)))
    observed = read(stream, len(expected))
    state = checks.STATES["init"]
    crdt_compare.compare(rec, expected, observed, crdt_compare.Expect(check, type_of(entity_id), state, state))
    first = observed[0] if observed else None
    if isinstance(first, c.CrdtStreamOut) and first.HasField("failure"):
        common.after_failure(rec, stream)
    else:
        stream.cancel()


def short_stream(rec: Recorder, stream: CrdtStream, configured: bool, request: m.Request) -> None:
    """A stream to CrdtTwo or CrdtConfigured: init, one `Call`, half-close (TCKM-081, TCKM-082)."""
    service, check = (model.CONFIGURED, checks.CONFIGURED) if configured else (model.TWO, checks.TWO)
    expected = model.call_configured(1) if configured else model.call_two(1, request)
    stream.send(wire.init(service, request.id), wire.command(1, request.id, "Call", request))
    crdt_compare.compare(
        rec, [expected], read(stream, 1), crdt_compare.Expect(check, type_of(request.id), check, check)
    )
    stream.half_close()
    common.expect_end(rec, stream, check)
