"""The reference proxy with one deliberate defect: ``python -m tck.tests.fakes.broken_proxy DEFECT [proxy flags]``.

Each defect patches one method of the reference proxy's classes before the
proxy starts, so that the rest of it stays correct and the TCK must find
exactly that defect. Settings come from the environment as for the real proxy.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from cloudstate import entity_pb2
from cloudstate_proxy import __main__ as proxy_main
from cloudstate_proxy.crdt import Tombstone, apply_delta
from cloudstate_proxy.effects import Effects
from cloudstate_proxy.engines.base import Outcome
from cloudstate_proxy.engines.crdt_instance import CrdtInstance
from cloudstate_proxy.engines.crdt_lifecycle import CrdtLifecycle
from cloudstate_proxy.engines.crdt_replies import CrdtReplies
from cloudstate_proxy.engines.event_sourced import EventSourcedSession
from cloudstate_proxy.engines.instance import EntityInstance
from cloudstate_proxy.engines.value_entity import ValueEntitySession
from cloudstate_proxy.stores.postgres_replication import PostgresReplication

_background: set[asyncio.Task[Any]] = set()


def _spawn(work: Any) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


def persist_late() -> None:
    """Event sourcing: release the reply first, write the events a second later."""

    async def commit(self: EventSourcedSession, reply: Any) -> Outcome:
        outcome = self.outcome(reply, ["events"] if reply.events else [])
        if outcome.failure is None and reply.events:
            start, self.sequence = self.sequence, self.sequence + len(reply.events)
            snapshot = reply.snapshot if reply.HasField("snapshot") else None
            pid, events = self.service.persistence_id, list(reply.events)

            async def later() -> None:
                await asyncio.sleep(1.0)
                await self.runtime.store.journal.append(pid, self.entity_id, start, events, snapshot)

            _spawn(later())
        return outcome

    EventSourcedSession.commit = commit  # type: ignore[method-assign]


def ids_from_zero() -> None:
    """Number the commands of every stream from 0."""
    original = EntityInstance._open

    async def _open(self: EntityInstance) -> Any:
        stream = await original(self)
        self._next_id = 0
        return stream

    EntityInstance._open = _open  # type: ignore[method-assign]


def drop_async_effects() -> None:
    """Never run asynchronous side effects."""
    Effects.start_asynchronous = lambda self, label, effects: None  # type: ignore[method-assign]


def async_early() -> None:
    """Start the asynchronous side effects before the synchronous ones (so before the reply)."""
    run_synchronous, start_asynchronous = Effects.run_synchronous, Effects.start_asynchronous

    async def early(self: Effects, label: str, effects: Sequence[entity_pb2.SideEffect]) -> None:
        start_asynchronous(self, label, effects)
        await run_synchronous(self, label, effects)

    Effects.run_synchronous = early  # type: ignore[method-assign]
    Effects.start_asynchronous = lambda self, label, effects: None  # type: ignore[method-assign]


def sync_late() -> None:
    """Run the synchronous side effects in the background: the reply does not wait for them."""
    run_synchronous = Effects.run_synchronous

    async def late(self: Effects, label: str, effects: Sequence[entity_pb2.SideEffect]) -> None:
        _spawn(run_synchronous(self, label, effects))

    Effects.run_synchronous = late  # type: ignore[method-assign]


def forward_elsewhere() -> None:
    """Forward to the model's ``*Configured`` service instead of its second one (same types, wrong method)."""
    forward = Effects.forward

    async def elsewhere(self: Effects, origin: Any, label: str, target: entity_pb2.Forward) -> Any:
        changed = entity_pb2.Forward()
        changed.CopyFrom(target)
        changed.service_name = target.service_name.replace("Two", "Configured")
        return await forward(self, origin, label, changed)

    Effects.forward = elsewhere  # type: ignore[method-assign,assignment]


def delete_ignored() -> None:
    """Value entities: a delete leaves the stored value in place."""
    commit = ValueEntitySession.commit

    async def keep(self: ValueEntitySession, reply: Any) -> Outcome:
        if reply.HasField("state_action") and reply.state_action.WhichOneof("action") == "delete":
            reply.ClearField("state_action")
        return await commit(self, reply)

    ValueEntitySession.commit = keep  # type: ignore[method-assign]


def never_passivate() -> None:
    """Ignore every idle timeout."""
    init = EntityInstance.__init__

    def patched(self: EntityInstance, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._idle = 3600.0

    EntityInstance.__init__ = patched  # type: ignore[method-assign]


def crdt_applied_twice() -> None:
    """CRDT: a delta from the user function is applied to the replica twice (counters double)."""
    apply = CrdtReplies._apply

    def twice(self: CrdtReplies, stream: Any, action: Any) -> Any:
        if action is not None and action.WhichOneof("action") == "update" and not isinstance(self.state, Tombstone):
            self.state = apply_delta(self.state, self.replication.replica, action.update, int(time.time() * 1000))
        return apply(self, stream, action)

    CrdtReplies._apply = twice  # type: ignore[method-assign]


def crdt_echo() -> None:
    """CRDT: the user function's own delta is not added to its known value, so the next turn sends it back."""
    apply = CrdtReplies._apply

    def echo(self: CrdtReplies, stream: Any, action: Any) -> Any:
        known = stream.known
        write = apply(self, stream, action)
        stream.known = known
        return write

    CrdtReplies._apply = echo  # type: ignore[method-assign]


def crdt_delete_kept() -> None:
    """CRDT: a delete in a reply is ignored (no tombstone): the entity lives on and takes commands."""
    apply = CrdtReplies._apply

    def keep(self: CrdtReplies, stream: Any, action: Any) -> Any:
        return apply(self, stream, None if action is not None and action.HasField("delete") else action)

    CrdtReplies._apply = keep  # type: ignore[method-assign]


def crdt_no_stream_cancelled() -> None:
    """CRDT: a client leaving a streamed call is never reported to the user function."""

    def client_cancelled(self: CrdtInstance, call: Any) -> None:
        call.end()
        self._check_idle()

    CrdtInstance.client_cancelled = client_cancelled  # type: ignore[method-assign]


def crdt_passivate_open() -> None:
    """CRDT: an entity counts as idle even while streamed calls are open on it (start with a short timeout)."""

    def _is_quiet(self: CrdtLifecycle) -> bool:
        stream = self.stream
        busy = stream is not None and stream.busy
        return not (self.queue or self._opening or self._closing or busy or self.writer.dirty)

    CrdtLifecycle._is_quiet = _is_quiet  # type: ignore[method-assign]


def crdt_alone() -> None:
    """CRDT over PostgreSQL: the proxy counts only itself as up, whatever other replicas report."""
    PostgresReplication.live = lambda self: frozenset((self.replica,))  # type: ignore[method-assign]


DEFECTS: dict[str, Callable[[], None]] = {
    "persist-late": persist_late,
    "ids-from-zero": ids_from_zero,
    "drop-async-effects": drop_async_effects,
    "async-early": async_early,
    "sync-late": sync_late,
    "forward-elsewhere": forward_elsewhere,
    "delete-ignored": delete_ignored,
    "never-passivate": never_passivate,
    "crdt-applied-twice": crdt_applied_twice,
    "crdt-echo": crdt_echo,
    "crdt-delete-kept": crdt_delete_kept,
    "crdt-no-stream-cancelled": crdt_no_stream_cancelled,
    "crdt-passivate-open": crdt_passivate_open,
    "crdt-alone": crdt_alone,
}
#: Settings a defect needs to show (the proxy's environment): CrdtTckModel entities passivate after 300 ms idle.
ENV: dict[str, dict[str, str]] = {"crdt-passivate-open": {"CRDT_PASSIVATION_TIMEOUT": "300ms"}}


def main() -> int:
    # The HTTP and fault defects live in modules of their own, which import nothing from here.
    from tck.tests.fakes import broken_fault_proxy, broken_http_proxy

    defects = {**DEFECTS, **broken_http_proxy.DEFECTS, **broken_fault_proxy.DEFECTS}
    if len(sys.argv) < 2 or sys.argv[1] not in defects:
        print(f"usage: broken_proxy {{{','.join(defects)}}} [proxy flags]", file=sys.stderr)
        return 2
    defects[sys.argv[1]]()
    return proxy_main.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
