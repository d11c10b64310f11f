"""Broken variants of the fake's CRDT entities: each overrides one method of a correct class.

Defects (the CRDT machine must catch each, naming the requirement):
  crdt-reapply-own    after sending its delta the fake applies it to its value once more (CRDT-009)
  crdt-orset-both     an element added and then removed by one command is listed in both ``added``
                      and ``removed``; a receiver removes before it adds, so the element survives there
                      (CRDT-ORSET-003)
  crdt-lww-clock      register writes are sent with the default clock whatever clock the update chose
                      (CRDT-LWW-003)
  crdt-echo-remote    counters count received increments as their own, so they are sent back to the
                      proxy with the next command's delta (CRDT-023)
  crdt-remote-twice   every delta the proxy sends on the stream is applied twice, which shows in counters
                      (CRDT-008)
"""

from __future__ import annotations

from cloudstate import crdt_pb2 as c

from tck.tests.fakes import fake_crdt_map
from tck.tests.fakes.fake_crdt import Crdt, Out
from tck.tests.fakes.fake_crdt_entity import Entity
from tck.tests.fakes.fake_crdt_registers import LWWRegister
from tck.tests.fakes.fake_crdt_values import Counter, ORSet
from tck.tests.fakes.fake_crdt_values import Crdt as Value

DEFECTS = frozenset({"crdt-reapply-own", "crdt-orset-both", "crdt-lww-clock", "crdt-echo-remote", "crdt-remote-twice"})


class ReapplyOwn(Crdt):
    def changed(self, entity: Entity, value: Value, level: int, out: Out) -> list[Out]:
        delta = value.delta()
        answers = super().changed(entity, value, level, out)
        if delta is not None:
            value.receive(delta)
        return answers


class BothORSet(ORSet):
    def remove(self, element: str) -> None:
        if element in self.values:
            self.values.discard(element)
            self.removed.add(element)


class ClocklessRegister(LWWRegister):
    def _delta(self) -> c.CrdtDelta:
        return c.CrdtDelta(lwwregister=c.LWWRegisterDelta(value=super()._delta().lwwregister.value))


class EchoingCounter(Counter):
    def receive(self, delta: c.CrdtDelta) -> None:
        super().receive(delta)
        self.pending += self._amount(delta)


class RemoteTwice(Crdt):
    def receive(self, entity: Entity, delta: c.CrdtDelta) -> list[Out]:
        if entity.value is not None:
            entity.value.receive(delta)
        return super().receive(entity, delta)


def servicer(defects: frozenset[str]) -> Crdt:
    """The CRDT servicer with the chosen defects (CRDT classes are swapped in the fake's type table)."""
    if "crdt-orset-both" in defects:
        fake_crdt_map.TYPES["ORSet"] = BothORSet
    if "crdt-lww-clock" in defects:
        fake_crdt_map.TYPES["LWWRegister"] = ClocklessRegister
    if "crdt-echo-remote" in defects:
        fake_crdt_map.TYPES["GCounter"] = lambda: EchoingCounter("gcounter")
        fake_crdt_map.TYPES["PNCounter"] = lambda: EchoingCounter("pncounter")
    if "crdt-remote-twice" in defects:
        return RemoteTwice()
    return ReapplyOwn() if "crdt-reapply-own" in defects else Crdt()
