"""The reference proxy with one defect in how it treats a misbehaving user function.

``python -m tck.tests.fakes.broken_proxy DEFECT [proxy flags]`` runs them
beside its own: each patches one method, then the proxy starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudstate_proxy.engines.base import Outcome
from cloudstate_proxy.engines.instance import EntityInstance, Pending
from cloudstate_proxy.engines.value_entity import ValueEntitySession
from cloudstate_proxy.errors import ProxyError
from cloudstate_proxy.reporting import ErrorReporter


def failure_extras_kept() -> None:
    """Value entities: a failure reply's state update is written (as upstream did with events)."""
    commit = ValueEntitySession.commit

    async def keep(self: ValueEntitySession, reply: Any) -> Outcome:
        if reply.client_action.WhichOneof("action") == "failure" and reply.state_action.HasField("update"):
            value = reply.state_action.update.value
            await self.runtime.store.values.put(self.service.persistence_id, self.entity_id, value)
        return await commit(self, reply)

    ValueEntitySession.commit = keep  # type: ignore[method-assign]


def violations_unreported() -> None:
    """Say nothing to the user function about its protocol violations."""
    report = ErrorReporter.report

    def quiet(self: ErrorReporter, message: str, *, warning: bool = False, **context: object) -> None:
        if "protocol violation" not in message:
            report(self, message, warning=warning, **context)

    ErrorReporter.report = quiet  # type: ignore[method-assign]


def violation_fails_queued() -> None:
    """Treat a protocol violation like a crash: the commands queued for the entity fail too."""
    abandon = EntityInstance._abandon

    async def fail_all(self: EntityInstance, reason: str, pending: Pending, error: ProxyError) -> None:
        await abandon(self, reason, pending, error)
        if reason == "protocol violation":
            self._fail_queued(error)

    EntityInstance._abandon = fail_all  # type: ignore[method-assign]


DEFECTS: dict[str, Callable[[], None]] = {
    "failure-extras-kept": failure_extras_kept,
    "violations-unreported": violations_unreported,
    "violation-fails-queued": violation_fails_queued,
}
