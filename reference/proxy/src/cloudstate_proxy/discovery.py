"""Discovery (spec/02-discovery.md): ask the user function what it serves, check the answer.

The user function may not be up yet when the proxy starts, so ``discover``
is retried with exponential backoff (with jitter) for as long as the call
fails. An answer, once received, is judged once: an incompatible protocol
version or an invalid EntitySpec is reported through reportError and raised
as :class:`DiscoveryError`; the caller then stays unready and does not retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.metadata
import logging
import random
from collections.abc import Mapping

import grpc
from cloudstate import entity_pb2, entity_pb2_grpc
from cloudstate_protocol import PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION, Compatibility, check_compatibility
from google.protobuf import descriptor_pool

from cloudstate_proxy.descriptors import ServiceModel
from cloudstate_proxy.errors import DiscoveryError
from cloudstate_proxy.reporting import ErrorReporter
from cloudstate_proxy.settings import Settings
from cloudstate_proxy.validation import EntityTypeRules, validate

log = logging.getLogger(__name__)

PROXY_NAME = "cloudstate-python-proxy"
# How long one discover call may take before it counts as failed and is retried.
DISCOVER_CALL_TIMEOUT = 10.0


def proxy_version() -> str:
    try:
        return importlib.metadata.version("cloudstate-proxy")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


@dataclasses.dataclass(frozen=True)
class Discovered:
    """A validated EntitySpec, ready to serve."""

    spec: entity_pb2.EntitySpec
    pool: descriptor_pool.DescriptorPool
    services: tuple[ServiceModel, ...]


def proxy_info(supported: Mapping[str, EntityTypeRules]) -> entity_pb2.ProxyInfo:
    return entity_pb2.ProxyInfo(
        protocol_major_version=PROTOCOL_MAJOR_VERSION,
        protocol_minor_version=PROTOCOL_MINOR_VERSION,
        proxy_name=PROXY_NAME,
        proxy_version=proxy_version(),
        supported_entity_types=sorted(supported),
    )


class Backoff:
    """Exponential delays from ``minimum`` to ``maximum``, each stretched by up to ``jitter``."""

    def __init__(self, minimum: float, maximum: float, jitter: float) -> None:
        self._next, self._maximum, self._jitter = minimum, maximum, jitter

    def delay(self) -> float:
        current = self._next
        self._next = min(self._next * 2, self._maximum)
        return current * (1 + random.uniform(0, self._jitter))


async def fetch_spec(
    channel: grpc.aio.Channel, info: entity_pb2.ProxyInfo, settings: Settings
) -> entity_pb2.EntitySpec:
    """Call discover until the user function answers."""
    stub = entity_pb2_grpc.EntityDiscoveryStub(channel)
    backoff = Backoff(settings.discovery_backoff_min, settings.discovery_backoff_max, settings.discovery_backoff_jitter)
    while True:
        try:
            spec: entity_pb2.EntitySpec = await stub.discover(info, timeout=DISCOVER_CALL_TIMEOUT)
            return spec
        except grpc.aio.AioRpcError as error:
            delay = backoff.delay()
            log.info(
                "user function not answering discovery yet; retrying",
                extra={"code": error.code().name, "details": error.details(), "retry_in_s": round(delay, 3)},
            )
            await asyncio.sleep(delay)


async def check_version(spec: entity_pb2.EntitySpec, settings: Settings, reporter: ErrorReporter) -> None:
    major, minor = spec.service_info.protocol_major_version, spec.service_info.protocol_minor_version
    ours = f"{PROTOCOL_MAJOR_VERSION}.{PROTOCOL_MINOR_VERSION}"
    verdict = check_compatibility(major, minor)
    if verdict is Compatibility.COMPATIBLE:
        return
    if verdict is Compatibility.UNREPORTED and not settings.strict_protocol:
        await reporter.send(
            f"the user function did not report its protocol version (0.0); this proxy speaks {ours} and serves it "
            "as such",
            warning=True,
        )
        return
    if verdict is Compatibility.UNREPORTED:
        message = (
            f"incompatible protocol version: this proxy speaks Cloudstate protocol {ours} in strict mode, the user "
            "function did not report its version (0.0)"
        )
    else:
        library = f"{spec.service_info.support_library_name} {spec.service_info.support_library_version}".strip()
        message = (
            f"incompatible protocol version: this proxy speaks Cloudstate protocol {ours}, the user function"
            f"{f' (support library {library})' if library else ''} reports {major}.{minor}"
        )
    await reporter.send(message)
    raise DiscoveryError(message)


async def discover(
    channel: grpc.aio.Channel, settings: Settings, reporter: ErrorReporter, supported: Mapping[str, EntityTypeRules]
) -> Discovered:
    """Discover and validate; DiscoveryError (already reported to the user function) when unusable."""
    spec = await fetch_spec(channel, proxy_info(supported), settings)
    info = spec.service_info
    log.info(
        "discovery answered",
        extra={
            "service": info.service_name,
            "library": f"{info.support_library_name} {info.support_library_version}".strip(),
            "protocol": f"{info.protocol_major_version}.{info.protocol_minor_version}",
            "entities": [e.service_name for e in spec.entities],
        },
    )
    await check_version(spec, settings, reporter)
    try:
        pool, services = validate(spec, supported)
    except DiscoveryError as error:
        for problem in error.problems:  # one report per problem (DISC-047)
            await reporter.send(f"invalid EntitySpec: {problem}")
        raise
    return Discovered(spec=spec, pool=pool, services=services)
