"""The public names are chosen deliberately; this pins them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cloudstate_sdk
import cloudstate_sdk.testing

SDK = Path(__file__).resolve().parent.parent


def test_exported_names() -> None:
    assert sorted(cloudstate_sdk.__all__) == [
        "Action",
        "ActionContext",
        "Clock",
        "CloudstateError",
        "CommandContext",
        "Crdt",
        "CrdtContext",
        "CrdtEntity",
        "DefinitionError",
        "Effect",
        "EntityContext",
        "EventSourcedContext",
        "EventSourcedEntity",
        "Failure",
        "Flag",
        "Forward",
        "GCounter",
        "GSet",
        "HandlerError",
        "LWWRegister",
        "Metadata",
        "ORMap",
        "ORSet",
        "PNCounter",
        "PayloadError",
        "ProtocolError",
        "Reply",
        "Server",
        "ServiceCall",
        "ServiceCallRef",
        "StreamCancelledContext",
        "SubscriptionContext",
        "ValueEntity",
        "ValueEntityContext",
        "Vote",
        "WriteConsistency",
        "__version__",
        "pack",
        "pack_json",
        "serve",
        "unpack",
    ]
    for name in cloudstate_sdk.__all__:
        assert hasattr(cloudstate_sdk, name)


def test_testing_names() -> None:
    assert sorted(cloudstate_sdk.testing.__all__) == [
        "ActionResult",
        "ActionTestKit",
        "CancelResult",
        "CrdtResult",
        "CrdtTestKit",
        "EventSourcedResult",
        "EventSourcedTestKit",
        "StreamedMessage",
        "ValueEntityResult",
        "ValueEntityTestKit",
    ]
    for name in cloudstate_sdk.testing.__all__:
        assert hasattr(cloudstate_sdk.testing, name)


def test_errors_share_one_root() -> None:
    for name in ("DefinitionError", "HandlerError", "PayloadError", "ProtocolError"):
        assert issubclass(getattr(cloudstate_sdk, name), cloudstate_sdk.CloudstateError)


def test_generated_example_code_is_fresh() -> None:
    """tools/protos.py check: the committed example code matches the protos."""
    completed = subprocess.run(
        [sys.executable, str(SDK / "tools" / "protos.py"), "check"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
