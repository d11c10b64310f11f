"""The proxy's one exception tree, mapped to gRPC and HTTP at the boundary.

Everything that can go wrong with a client's call is one of these; ingress
code turns them into a status (gRPC) or a status code and JSON body (HTTP)
through :attr:`ProxyError.code` and :func:`http_status`. The mapping is the
table of spec/06-failures.md.

    ProxyError
    ├── InvalidRequest          INVALID_ARGUMENT   400  malformed body, bad field values
    │   └── MissingEntityKey    INVALID_ARGUMENT   400  every key field holds its default
    ├── UnknownMethod           UNIMPLEMENTED      404  no such service or method
    ├── MessageTooLarge         RESOURCE_EXHAUSTED 413
    ├── ClientFailure           UNKNOWN            500  the user function failed the command (ClientAction.failure)
    ├── EntityFailure           INTERNAL           500  stream-level failure, crash or protocol violation
    ├── UserFunctionUnavailable UNAVAILABLE        503
    ├── StoreUnavailable        UNAVAILABLE        503  the database cannot be reached; nothing acknowledged is lost
    ├── ConsistencyNotReached   UNAVAILABLE        503  CRDT write consistency not met in time
    ├── RelayTimeout            DEADLINE_EXCEEDED  504  the user function did not answer in time
    ├── EntityDeleted           NOT_FOUND          404  a deleted CRDT entity
    └── ConcurrencyConflict     ABORTED            409  another writer appended to the same entity's journal
"""

from __future__ import annotations

from typing import ClassVar

import grpc

# The standard mapping used by gRPC-HTTP gateways (google.rpc.Code to HTTP).
_HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}


def http_status(code: grpc.StatusCode) -> int:
    """The HTTP status for a gRPC status code (standard gateway mapping)."""
    return _HTTP_STATUS[code]


class ProxyError(Exception):
    """Base of every error the proxy reports to a client."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL
    #: Overrides the standard mapping where HTTP has a more precise status.
    http: ClassVar[int | None] = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def http_status(self) -> int:
        return self.http if self.http is not None else http_status(self.code)


class InvalidRequest(ProxyError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class MissingEntityKey(InvalidRequest):
    pass


class UnknownMethod(ProxyError):
    code = grpc.StatusCode.UNIMPLEMENTED
    http = 404


class MessageTooLarge(ProxyError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    http = 413


class ClientFailure(ProxyError):
    code = grpc.StatusCode.UNKNOWN


class EntityFailure(ProxyError):
    code = grpc.StatusCode.INTERNAL


class UserFunctionUnavailable(ProxyError):
    code = grpc.StatusCode.UNAVAILABLE


class StoreUnavailable(ProxyError):
    code = grpc.StatusCode.UNAVAILABLE


class ConsistencyNotReached(ProxyError):
    code = grpc.StatusCode.UNAVAILABLE


class RelayTimeout(ProxyError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class EntityDeleted(ProxyError):
    code = grpc.StatusCode.NOT_FOUND


class ConcurrencyConflict(ProxyError):
    code = grpc.StatusCode.ABORTED


# Errors that never reach a client directly: they describe what the user
# function did wrong, are reported to it through EntityDiscovery.reportError,
# and are mapped to one of the client errors above where a call is affected.


class DiscoveryError(Exception):
    """The user function's EntitySpec cannot be served (bad version, descriptors or entities).

    Permanent: the proxy reports it, stays unready and does not try again.
    ``problems`` lists every problem found, each reported on its own.
    """

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ProtocolViolation(Exception):
    """The user function broke the protocol on an entity stream or call.

    The proxy reports the message, fails the affected command with
    :class:`EntityFailure` and restarts the entity.
    """
