"""Kubernetes events about a resource, as the operator posts them (pure).

The operator posts its own events through its API client, not through
``kopf.event``: kopf can post only from inside its handlers, and the periodic
re-check runs outside them. kopf still posts its own events about handler
failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudstate_operator import names

#: The API server refuses longer event messages.
MAX_MESSAGE = 1024


def event_manifest(involved: Mapping[str, Any], type: str, reason: str, message: str, *, now: str) -> dict[str, Any]:
    """A core/v1 Event about ``involved`` (a resource as read from the API)."""
    meta = involved["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
        },
        "type": type,
        "reason": reason,
        "message": message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…",
        "source": {"component": names.MANAGER},
        "reportingComponent": names.MANAGER,
        "reportingInstance": names.MANAGER,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
