"""The fake's single-valued CRDTs: LWWRegister, Flag and Vote (see fake_crdt_values for the interface)."""

from __future__ import annotations

from cloudstate import crdt_pb2 as c
from cloudstate.tck.model import crdt_pb2 as m

from tck.tests.fakes.fake_crdt_values import Crdt, packed, text


class LWWRegister(Crdt):
    KIND = "lwwregister"

    def __init__(self) -> None:
        self.value = ""
        self.clock: tuple[int, int] = (c.DEFAULT, 0)
        self.written = False

    def update(self, change: m.Update) -> None:
        write = change.lwwregister
        self.value, self.written = write.value, True
        self.clock = (write.clock.clockType, write.clock.customClockValue) if write.HasField("clock") else (0, 0)

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        self.value = text(delta.lwwregister.value)  # the clock of a received write means nothing here

    def _delta(self) -> c.CrdtDelta:
        kind, custom = self.clock
        write = c.LWWRegisterDelta(
            value=packed(self.value), clock=c.CrdtClock.ValueType(kind), custom_clock_value=custom
        )
        return c.CrdtDelta(lwwregister=write)

    def delta(self) -> c.CrdtDelta | None:
        return self._delta() if self.written else None

    def whole(self) -> c.CrdtDelta:
        return self._delta()

    def reset(self) -> None:
        self.written, self.clock = False, (c.DEFAULT, 0)

    def state(self) -> m.State:
        return m.State(lwwregister=m.LWWRegisterValue(value=self.value))


class Flag(Crdt):
    KIND = "flag"

    def __init__(self) -> None:
        self.on = self.was = False

    def update(self, change: m.Update) -> None:
        self.on = True

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        self.on = self.was = self.on or delta.flag.value  # what the proxy sent is no change of this command

    def delta(self) -> c.CrdtDelta | None:
        return c.CrdtDelta(flag=c.FlagDelta(value=True)) if self.on and not self.was else None

    def whole(self) -> c.CrdtDelta:
        return c.CrdtDelta(flag=c.FlagDelta(value=self.on))

    def reset(self) -> None:
        self.was = self.on

    def state(self) -> m.State:
        return m.State(flag=m.FlagValue(value=self.on))


class Vote(Crdt):
    KIND = "vote"

    def __init__(self) -> None:
        self.mine = self.before = False
        self.votes_for, self.voters = 0, 1

    def update(self, change: m.Update) -> None:
        vote = change.vote.self_vote
        if vote != self.mine:
            self.votes_for += 1 if vote else -1
            self.mine = vote

    def receive(self, delta: c.CrdtDelta) -> None:
        self.check(delta)
        self.mine, self.votes_for, self.voters = delta.vote.self_vote, delta.vote.votes_for, delta.vote.total_voters
        self.before = self.mine

    def _delta(self) -> c.CrdtDelta:
        return c.CrdtDelta(vote=c.VoteDelta(self_vote=self.mine, votes_for=self.votes_for, total_voters=self.voters))

    def delta(self) -> c.CrdtDelta | None:
        return self._delta() if self.mine != self.before else None

    def whole(self) -> c.CrdtDelta:
        return self._delta()

    def reset(self) -> None:
        self.before = self.mine

    def state(self) -> m.State:
        return m.State(vote=m.VoteValue(self_vote=self.mine, votes_for=self.votes_for, total_voters=self.voters))
