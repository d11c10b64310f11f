"""Property: any sequence of store operations behaves like a few dictionaries and lists.

The model below is the whole specification of the store in miniature; Hypothesis
generates operation sequences (including stale appends, odd identifiers and
arbitrary bytes) and the store must agree with the model after every step.
Each example works under its own persistence-id prefix, so examples sharing one
store (and one database) never see each other's data.
"""

from __future__ import annotations

import dataclasses
import uuid

from cloudstate_proxy.errors import ConcurrencyConflict
from cloudstate_proxy.stores import Store
from google.protobuf import any_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Payload = tuple[str, bytes]


@dataclasses.dataclass
class Model:
    journals: dict[tuple[str, str], list[Payload]] = dataclasses.field(default_factory=dict)
    snapshots: dict[tuple[str, str], tuple[int, Payload]] = dataclasses.field(default_factory=dict)
    logs: dict[str, list[tuple[str, int, Payload]]] = dataclasses.field(default_factory=dict)
    values: dict[tuple[str, str], Payload] = dataclasses.field(default_factory=dict)

    def append(self, pid: str, eid: str, expected: int, events: list[Payload], snapshot: Payload | None) -> int | None:
        journal = self.journals.setdefault((pid, eid), [])
        if expected != len(journal):
            return None  # a conflict
        for event in events:
            journal.append(event)
            self.logs.setdefault(pid, []).append((eid, len(journal), event))
        if snapshot is not None:
            self.snapshots[(pid, eid)] = (len(journal), snapshot)
        return len(journal)

    def recovery(self, pid: str, eid: str) -> tuple[tuple[int, Payload] | None, list[tuple[int, Payload]]]:
        snapshot = self.snapshots.get((pid, eid))
        after = snapshot[0] if snapshot else 0
        events = self.journals.get((pid, eid), [])
        return snapshot, list(enumerate(events[after:], start=after + 1))


identifiers = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=6)
payloads = st.tuples(
    st.sampled_from(["type.googleapis.com/a.E", "type.googleapis.com/b.Ü", ""]), st.binary(max_size=12)
)


def as_any(p: Payload) -> any_pb2.Any:
    return any_pb2.Any(type_url=p[0], value=p[1])


def as_payload(a: any_pb2.Any) -> Payload:
    return a.type_url, a.value


async def check_entity(store: Store, model: Model, pid: str, eid: str) -> None:
    recovery = await store.journal.recover(pid, eid)
    snapshot, events = model.recovery(pid, eid)
    got_snapshot = (
        None if recovery.snapshot is None else (recovery.snapshot.sequence, as_payload(recovery.snapshot.payload))
    )
    assert got_snapshot == snapshot
    assert [(e.sequence, as_payload(e.payload)) for e in recovery.events] == events
    assert recovery.sequence == len(model.journals.get((pid, eid), []))
    value = await store.values.get(pid, eid)
    assert (None if value is None else as_payload(value)) == model.values.get((pid, eid))


async def check_log(store: Store, model: Model, pid: str, start: int, limit: int) -> None:
    expected = model.logs.get(pid, [])
    full = await store.journal.events_by_persistence_id(pid, 0, len(expected) + 1)
    assert [(t.entity_id, t.event.sequence, as_payload(t.event.payload)) for t in full] == expected
    start = min(start, len(expected))
    after = full[start - 1].offset if start else 0
    page = await store.journal.events_by_persistence_id(pid, after, limit)
    assert [(t.entity_id, t.event.sequence, as_payload(t.event.payload)) for t in page] == expected[
        start : start + limit
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_any_operation_sequence_matches_the_model(store: Store, data: st.DataObject) -> None:
    prefix = uuid.uuid4().hex
    pids = [prefix + p for p in data.draw(st.lists(identifiers, min_size=1, max_size=2, unique=True), label="pids")]
    eids = data.draw(st.lists(identifiers, min_size=1, max_size=3, unique=True), label="entity ids")
    model = Model()
    for _ in range(data.draw(st.integers(0, 25), label="steps")):
        pid, eid = data.draw(st.sampled_from(pids)), data.draw(st.sampled_from(eids))
        operation = data.draw(st.sampled_from(["append", "append", "put", "delete", "check", "log"]))
        if operation == "append":
            current = len(model.journals.get((pid, eid), []))
            expected = max(0, current + data.draw(st.sampled_from([0, 0, 0, -1, 1]), label="sequence skew"))
            events = data.draw(st.lists(payloads, min_size=1, max_size=3), label="events")
            snapshot = data.draw(st.none() | payloads, label="snapshot")
            want = model.append(pid, eid, expected, events, snapshot)
            try:
                got: int | None = await store.journal.append(
                    pid, eid, expected, [as_any(e) for e in events], None if snapshot is None else as_any(snapshot)
                )
            except ConcurrencyConflict:
                got = None
            assert got == want
        elif operation == "put":
            value = data.draw(payloads, label="value")
            model.values[(pid, eid)] = value
            await store.values.put(pid, eid, as_any(value))
        elif operation == "delete":
            model.values.pop((pid, eid), None)
            await store.values.delete(pid, eid)
        elif operation == "check":
            await check_entity(store, model, pid, eid)
        else:
            await check_log(store, model, pid, data.draw(st.integers(0, 8)), data.draw(st.integers(1, 4)))
    for pid in pids:
        await check_log(store, model, pid, 0, 1)
        for eid in eids:
            await check_entity(store, model, pid, eid)
