"""Running the TCK against a target: start or connect, discover, run what applies, always clean up.

SDK direction (``--sdk``): the runner starts the user function (or connects to
it), checks discovery, and runs every SDK suite whose capability and TCK model
services the user function declares; the TCK talks to it directly.

Proxy direction (``--proxy``): the runner starts a user function serving the
TCK model on port U, the TCK's interceptor on port I forwarding to U, and the
proxy with ``USER_FUNCTION_PORT=I`` and ``HTTP_PORT=P``; the proxy suites
(``tck.proxy``) are the proxy's clients and watch its traffic with the user
function through the interceptor. With ``--proxy-replica`` a second proxy,
started the same way on its own ports with its own ``REPLICA_ID``, serves the
same store in front of the same interceptor (``RunContext.replica``), so that
the CRDT suite's replication rules run; the suites restart only the first.

Every process the runner starts is stopped when the run ends, whatever ends
it (a failure, an error, Ctrl-C). The result is a :class:`~tck.outcome.RunReport`.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Iterator

from cloudstate import entity_pb2
from cloudstate_protocol.requirements import load_registry

from tck import interception, launch
from tck.applicability import Declared
from tck.catalog import all_suites
from tck.config import SPEC_VERSION, RunConfig, tck_version
from tck.outcome import RunError, RunReport
from tck.processes import ProcessError, free_port
from tck.progress import Progress
from tck.results import judge
from tck.sdk import discovery
from tck.sdk.driver import UserFunction
from tck.sdk.suites import DISCOVERY, discover_user_function
from tck.session import Session, as_dict
from tck.suites import Endpoint, RunContext, Suite, SuiteResult
from tck.targets import LOCALHOST, Side, replica_pair, replica_refusal


def sdk_direction(session: Session, side: Side, suites: list[Suite]) -> None:
    """Check discovery, then run the SDK suites that apply, against the user function."""
    with session.side("user-function", session.user_function(side, "user-function"), side) as up:
        context = RunContext(
            session.recorder, session.settings, up.endpoint, user_function_process=up.process, seed=session.seed
        )
        found: list[entity_pb2.EntitySpec | None] = [None]

        def check_discovery() -> SuiteResult:
            result, found[0] = discover_user_function(context)
            return result

        session.run_suite(DISCOVERY, "sdk", "core", check_discovery)
        spec = found[0]
        if spec is not None:
            session.declared = session.declared.merge(Declared.from_spec(spec))
            session.user_function_info = as_dict(spec.service_info)
        session.run_suites(suites, context, None if spec is not None else "discovery gave no EntitySpec")


def proxy_direction(session: Session, proxy_side: Side, uf_side: Side, suites: list[Suite]) -> None:
    """User function on U, interceptor on I relaying to U, proxy with its user function at I; then the proxy suites."""
    replica_side: Side | None = None
    if session.config.proxy_replica:
        refusal = replica_refusal(proxy_side)
        if refusal is not None:  # before anything starts
            raise RunError(refusal)
        proxy_side, replica_side = replica_pair(proxy_side)
    with session.side("proxy-user-function", session.user_function(uf_side, "proxy-user-function"), uf_side) as uf:
        spec = _raw_discovery(uf.endpoint)
        port = session.config.interceptor_port or free_port()
        with interception.intercepting(Endpoint(LOCALHOST, port), uf.endpoint) as interceptor:
            launched = launch.proxy(proxy_side, session.log("proxy"), session.config.ready_timeout, port)
            with session.side("proxy", launched, proxy_side) as proxy, _replica(session, replica_side, port) as replica:
                info = interception.proxy_info(interceptor)
                if info is not None:
                    session.proxy_info = as_dict(info)
                session.declared = session.declared.merge(Declared.from_spec(spec, info))
                context = RunContext(
                    session.recorder,
                    session.settings,
                    uf.endpoint,
                    proxy=proxy.endpoint,
                    interceptor=Endpoint(LOCALHOST, port),
                    proxy_process=proxy.process if session.config.proxy_restartable else None,
                    replica=replica,
                    user_function_process=uf.process,
                    seed=session.seed,
                )
                blocked = None if spec is not None else "the user function behind the proxy gave no EntitySpec"
                session.run_suites(suites, context, blocked)


@contextlib.contextmanager
def _replica(session: Session, side: Side | None, interceptor_port: int) -> Iterator[Endpoint | None]:
    """The replica's public port while it runs (stopped, and its log kept, on leaving); None without a replica."""
    if side is None:
        yield None
        return
    log, timeout = session.log("proxy-replica"), session.config.ready_timeout
    with session.side("proxy-replica", launch.proxy(side, log, timeout, interceptor_port, "proxy replica"), side) as up:
        yield up.endpoint


def _raw_discovery(endpoint: Endpoint) -> entity_pb2.EntitySpec | None:
    """The user function's EntitySpec, unchecked (the proxy direction judges the proxy, not the user function)."""
    uf = UserFunction(endpoint.target)
    try:
        spec = uf.discover(discovery.PROXY_INFO)
    finally:
        uf.close()
    return spec if isinstance(spec, entity_pb2.EntitySpec) else None


def run(config: RunConfig, progress: Progress | None = None) -> RunReport:
    """Run the TCK as configured and return the report; nothing the run started outlives it."""
    progress = progress or Progress()
    registry = load_registry()
    session = Session(config, progress)
    started, began = datetime.datetime.now(datetime.UTC), time.monotonic()
    error: str | None = None
    interrupted = False
    suites = all_suites()
    try:
        if config.sdk is not None:
            sdk_direction(session, config.sdk, [s for s in suites if s.direction == "sdk"])
        if config.proxy is not None:
            proxy_suites = [s for s in suites if s.direction == "proxy"]
            proxy_direction(session, config.proxy, config.behind_proxy, proxy_suites)
    except (ProcessError, RunError) as problem:
        error = str(problem)
        progress.message(f"error: {error}")
    except KeyboardInterrupt:
        error, interrupted = "interrupted (Ctrl-C); what ran until then is reported", True
        progress.message(error)
    directions = frozenset(config.directions)
    results = judge(registry, session.recorder, session.summaries, config.exclusions, directions, session.declared)
    return RunReport(
        name=config.target_name,
        tck_version=tck_version(),
        spec_version=SPEC_VERSION,
        profile=config.profile,
        seed=session.seed,
        started=started,
        duration=time.monotonic() - began,
        spec_url=config.spec_url,
        directions=config.directions,
        requirements=tuple(results),
        suites=tuple(session.summaries),
        sides=tuple(session.sides),
        user_function=session.user_function_info,
        proxy=session.proxy_info,
        error=error,
        interrupted=interrupted,
    )


__all__ = ["proxy_direction", "run", "sdk_direction"]
