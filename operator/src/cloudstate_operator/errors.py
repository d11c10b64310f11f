"""The operator's one exception tree; handlers.py maps it onto kopf's retry vocabulary.

Each error carries a ``reason`` (a CamelCase word, as Kubernetes uses in
conditions and events) and a message meant for ``kubectl describe``.
"""

from __future__ import annotations


class OperatorError(Exception):
    """Something the operator reports on the resource instead of crashing."""

    reason = "Error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class InvalidSpec(OperatorError):
    """The resource's spec cannot be served as written; retrying does not help until the spec changes."""

    reason = "InvalidSpec"


class DependencyMissing(OperatorError):
    """A StatefulStore or Secret the resource needs is absent or unusable; retry later.

    Reasons: ``StoreNotFound``, ``StoreInvalid``, ``SecretNotFound``, ``SecretKeyMissing``.
    """

    reason = "DependencyMissing"


class KubernetesError(OperatorError):
    """The Kubernetes API refused or failed a call (``status`` is the HTTP status, 0 without a response)."""

    reason = "KubernetesApiError"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
