"""Lifecycle faults: restarting the user function or the proxy process between commands.

Both end every entity stream; the commands that follow must go on new streams
that start from the store (a restarted proxy must find what it persisted, so
the runner passes ``proxy_process`` only for a proxy with a durable store). A
command that reaches the proxy before it has noticed a stream's end may fail
with INTERNAL or UNAVAILABLE; the machines accept that once per stream.
"""

from __future__ import annotations

from tck.proxy import checks
from tck.proxy.discovery import check_rediscovered
from tck.proxy.harness import Harness
from tck.proxy.records import Record

# The idle timeout of the *Configured services (TCKM-007, TCKM-010, TCKM-012), less the resolution of the proxy's timer.
IDLE = 0.1
EARLY = 0.005


class EnvironmentFailure(RuntimeError):
    """The TCK's environment failed (a process did not come back): not a conformance failure."""


def restart_user_function(h: Harness) -> None:
    process = h.ctx.user_function_process
    assert process is not None, "no user function process to restart"
    h.note("TCK: restarting the user function")
    process.restart()
    if not h.icp.wait_upstream_ready(h.bounds.wait):
        raise EnvironmentFailure(f"the user function did not come back:\n{process.log_tail()}")


def restart_proxy(h: Harness) -> None:
    process = h.ctx.proxy_process
    assert process is not None, "no proxy process to restart"
    mark = h.icp.mark()
    h.note("TCK: restarting the proxy")
    process.restart()
    h.client.reconnect()
    check_rediscovered(h, mark)


def check_passivated(h: Harness, stream: int, reply: Record | None) -> None:
    """The proxy half-closes the idle stream (PASS-003), not before the timeout (PASS-007), soon after it (PASS-008)."""
    closed = h.icp.wait_half_closed(stream, h.bounds.passivation)
    if closed is None or closed.half_closed is None:
        how = "still open" if closed is None else f"ended by {closed.end_kind}"
        h.rec.fail(checks.PASSIVATION, f"stream #{stream} {how} {h.bounds.passivation} s after its reply")
    half_close = next(r for r in h.icp.messages(stream) if r.kind == "half-close")
    idle = half_close.at - (reply.at if reply is not None else 0.0)
    h.rec.ok(checks.PASSIVATION)
    h.rec.require(checks.PASSIVATION_NOT_EARLY, idle >= IDLE - EARLY, f"passivated {idle:.3f} s after the reply")
    h.rec.require(checks.PASSIVATION_PROMPT, idle <= IDLE + h.bounds.prompt, f"after {idle:.3f} s")
