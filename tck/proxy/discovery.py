"""The proxy's side of discovery, as the interceptor saw it, and what the proxy then exposes to clients.

Discovery happened before any suite ran (the runner starts the proxy behind
the interceptor), so the checks read the captured exchange: what the proxy
sent in ``ProxyInfo``, that it discovered once per process and before opening
any entity stream or action call, and how it worded its ``reportError``
calls. Server reflection, when the proxy serves it, must list exactly the
declared services; gRPC health is only noted (the spec does not require it).
"""

from __future__ import annotations

from collections import defaultdict

import grpc
from cloudstate import entity_pb2
from cloudstate_protocol import ENTITY_TYPES, PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION

from tck.proxy import checks
from tck.proxy.harness import Harness
from tck.proxy.interceptor import Discovery

#: Services a proxy may serve besides the user function's: reflection and health checking.
INFRASTRUCTURE = ("grpc.reflection.", "grpc.health.")


def check_proxy_info(h: Harness, info: entity_pb2.ProxyInfo, spec: entity_pb2.EntitySpec) -> None:
    version = (info.protocol_major_version, info.protocol_minor_version)
    h.rec.expect(checks.PROXY_INFO_VERSION, (PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION), version, "ProxyInfo")
    names = (bool(info.proxy_name), bool(info.proxy_version))
    h.rec.expect(checks.PROXY_INFO_NAMES, (True, True), names, f"{info.proxy_name!r} {info.proxy_version!r}")
    offered = list(info.supported_entity_types)
    problems = [t for t in offered if t not in ENTITY_TYPES or offered.count(t) > 1]
    missing = {e.entity_type for e in spec.entities} - set(offered)
    problems += [f"{t} (declared by the user function and served, but not offered)" for t in sorted(missing)]
    h.rec.expect(checks.PROXY_INFO_TYPES, [], problems, f"supported_entity_types {offered}")


def successful(found: list[Discovery]) -> list[Discovery]:
    return [d for d in found if d[2] is not None]


def check_discovery(h: Harness) -> None:
    """The captured discovery exchanges: their content, once per proxy process, before anything else."""
    found = h.icp.discoveries()
    done = successful(found)
    h.note(f"captured {len(found)} discover calls, {len(done)} answered")
    if not done:
        h.rec.fail(checks.DISCOVERY_FIRST, "the interceptor saw no successful discover call: was the proxy behind it?")
    for info, proxy_info, spec in done:
        assert spec is not None
        h.note(f"discover from {info.peer}: {proxy_info}")
        check_proxy_info(h, proxy_info, spec)
    by_peer: dict[str, int] = defaultdict(int)
    for info, _, _ in done:
        by_peer[info.peer] += 1
    twice = [peer for peer, count in by_peer.items() if count > 1]
    h.rec.expect(checks.DISCOVERY_ONCE, [], twice, "connections that discovered more than once")
    first_end = min(info.ended or 0 for info, _, _ in done)
    early = [
        s.id
        for s in h.icp.log.streams()
        if s.protocol in ("eventsourced", "valueentity", "crdt", "action") and s.opened < first_end
    ]
    h.rec.expect(checks.DISCOVERY_FIRST, [], early, "calls opened before discovery succeeded")
    check_reports(h, h.icp.reported_errors())


def check_rediscovered(h: Harness, since: int) -> None:
    """After a proxy restart: exactly one successful discovery by the new process, with a valid ProxyInfo."""
    done = successful(h.icp.discoveries(since))
    h.rec.expect(checks.DISCOVERY_ONCE, 1, len(done), "successful discover calls after the proxy restarted")
    _, proxy_info, spec = done[0]
    assert spec is not None
    check_proxy_info(h, proxy_info, spec)


def check_reports(h: Harness, messages: list[str]) -> None:
    bad = [m for m in messages if not m.startswith(("error: ", "warning: "))]
    h.rec.expect(checks.REPORT_FORMAT, [], bad, "reportError messages without a severity prefix")


def check_exposed(h: Harness) -> None:
    """Reflection lists the declared services (and infrastructure ones) and nothing else, when it is served."""
    done = successful(h.icp.discoveries())
    if not done:
        return
    spec = done[-1][2]
    assert spec is not None
    declared = {e.service_name for e in spec.entities}
    listed = _reflected(h)
    if listed is None:
        h.note("server reflection: not served (the spec does not require it)")
        return
    h.note(f"server reflection lists {sorted(listed)}")
    user = {s for s in listed if not s.startswith(INFRASTRUCTURE)}
    h.rec.expect(checks.EXPOSED_SERVICES, sorted(declared), sorted(user), "services listed by server reflection")
    h.note(f"gRPC health of the proxy: {_health(h)}")


def _reflected(h: Harness) -> set[str] | None:
    try:
        from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # the TCK does not depend on grpcio-reflection; without it, nothing is checked
        return None
    with grpc.insecure_channel(h.client.endpoint.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        try:
            answers = list(stub.ServerReflectionInfo(iter([request]), timeout=h.bounds.wait))
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise
    return {s.name for a in answers for s in a.list_services_response.service}


def _health(h: Harness) -> str:
    try:
        from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return "not checked (grpcio-health-checking is not installed)"
    with grpc.insecure_channel(h.client.endpoint.target) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=h.bounds.wait)
        except grpc.RpcError as error:
            return f"{error.code().name}"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))
