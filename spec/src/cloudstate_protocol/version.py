"""The protocol version and the compatibility rule of spec/02-discovery.md.

Both sides need the rule: the proxy to accept or refuse a user function, the
TCK to predict what a proxy must do, and an SDK to report its version.
"""

from __future__ import annotations

import enum

PROTOCOL_MAJOR_VERSION = 0
PROTOCOL_MINOR_VERSION = 2

# The gRPC service names that identify entity types in ProxyInfo and Entity.
ENTITY_TYPES = (
    "cloudstate.eventsourced.EventSourced",
    "cloudstate.valueentity.ValueEntity",
    "cloudstate.crdt.Crdt",
    "cloudstate.action.ActionProtocol",
)


class Compatibility(enum.Enum):
    """How a proxy treats the version a user function reports."""

    COMPATIBLE = "compatible"
    #: The user function reported 0.0 (the fields unset), as early support
    #: libraries did: served with a warning unless the proxy runs strict.
    UNREPORTED = "unreported"
    INCOMPATIBLE = "incompatible"


def check_compatibility(
    major: int,
    minor: int,
    *,
    proxy_major: int = PROTOCOL_MAJOR_VERSION,
    proxy_minor: int = PROTOCOL_MINOR_VERSION,
) -> Compatibility:
    """Classify a user function's reported version against the proxy's.

    Before 1.0 every minor version may change the protocol, so 0.x versions
    must match exactly; from 1.0 on a proxy serves any earlier minor of its
    own major version.
    """
    if major == 0 and minor == 0:
        return Compatibility.UNREPORTED
    if major != proxy_major:
        return Compatibility.INCOMPATIBLE
    if major == 0:
        return Compatibility.COMPATIBLE if minor == proxy_minor else Compatibility.INCOMPATIBLE
    return Compatibility.COMPATIBLE if minor <= proxy_minor else Compatibility.INCOMPATIBLE
