"""The SDK's exceptions: one tree under :class:`CloudstateError`.

Definition mistakes surface when the module that defines an entity is
imported (a decorator or a constructor raises), not when the proxy first calls
it. Run-time mistakes inside handlers are :class:`HandlerError`; the server
turns them, like any other exception a handler raises, into a stream-level
failure for that one entity.
"""

from __future__ import annotations


class CloudstateError(Exception):
    """Root of every exception the SDK raises on purpose."""


class DefinitionError(CloudstateError):
    """An entity or action is defined wrongly; the message says how to fix it."""


class PayloadError(CloudstateError, ValueError):
    """A value cannot be packed into, or unpacked from, a ``google.protobuf.Any``."""


class HandlerError(CloudstateError):
    """A handler broke a rule of the SDK while it ran (for example, it returned a
    reply of the wrong type, or emitted an event that has no event handler)."""


class ProtocolError(CloudstateError):
    """The proxy sent something the protocol does not allow on this stream."""


class _FailCommand(BaseException):
    """Raised by ``context.fail()`` to leave the handler with a client failure.

    It derives from BaseException so that a handler's own ``except Exception``
    cannot swallow the failure by accident.
    """

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description
