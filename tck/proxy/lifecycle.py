"""Lifecycle faults: restarting the user function or the proxy process between commands.

Both end every entity stream; the commands that follow must go on new streams
that start from the store (a restarted proxy must find what it persisted, so
the runner passes ``proxy_process`` only for a proxy with a durable store). A
command that reaches the proxy before it has noticed a stream's end may fail
with INTERNAL or UNAVAILABLE; the machines accept that once per stream.
"""

from __future__ import annotations

from tck.proxy.discovery import check_rediscovered
from tck.proxy.harness import Harness


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
