"""``proxy/faults``: how the proxy handles a user function that misbehaves, one forged message at a time.

The interceptor lets the TCK model user function answer, then replaces one of
its messages before the proxy sees it (:meth:`~tck.proxy.interceptor.Interceptor.rewrite`).
The scenarios cover protocol violations and stream-level failures
(:mod:`~tck.proxy.faults_violations`), odd replies and failures that carry too
much (:mod:`~tck.proxy.faults_replies`), unusable forwards and side effects
(:mod:`~tck.proxy.faults_effects`); the machine mixes forged and good writes
(:mod:`~tck.proxy.faults_machine`). Each checks what the client gets, what is
persisted (read back by later commands), the streams the proxy opens and
cancels, and the reportError calls it makes.
"""

from __future__ import annotations

from collections.abc import Callable

from tck.models import action, eventsourced, valueentity
from tck.proxy import faults_effects, faults_replies, faults_violations
from tck.proxy.faults_machine import ProxyFaultMachine
from tck.proxy.harness import Harness

NAME = "proxy/faults"
CAPABILITY = "core"
SERVICES = (valueentity.SERVICE, valueentity.TWO, eventsourced.SERVICE, eventsourced.TWO, action.SERVICE)
# The replies first: the scenario of a reply without payload checks that no warning comes at all.
SCENARIOS: dict[str, Callable[[Harness], None]] = {
    **faults_replies.SCENARIOS,
    **faults_violations.SCENARIOS,
    **faults_effects.SCENARIOS,
}
MACHINE = ProxyFaultMachine
