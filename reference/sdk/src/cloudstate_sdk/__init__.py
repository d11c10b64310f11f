"""Cloudstate for Python: write stateful services as plain Python.

Define entities and actions against your gRPC service descriptors, then serve
them to a Cloudstate proxy, which owns the state::

    cart = EventSourcedEntity("com.example.shoppingcart.ShoppingCart", persistence_id="carts", initial_state=Cart)

    @cart.command("AddItem")
    def add_item(state, item, ctx): ...

    serve([cart])

The testing module (``cloudstate_sdk.testing``) runs handlers without a proxy.
"""

from cloudstate_sdk._version import __version__
from cloudstate_sdk.action import Action, ActionContext
from cloudstate_sdk.calls import Effect, ServiceCall, ServiceCallRef
from cloudstate_sdk.context import CommandContext, EntityContext
from cloudstate_sdk.crdt import CrdtContext, CrdtEntity, StreamCancelledContext, SubscriptionContext
from cloudstate_sdk.crdts import (
    Clock,
    Crdt,
    Flag,
    GCounter,
    GSet,
    LWWRegister,
    ORMap,
    ORSet,
    PNCounter,
    Vote,
    WriteConsistency,
)
from cloudstate_sdk.errors import CloudstateError, DefinitionError, HandlerError, PayloadError, ProtocolError
from cloudstate_sdk.eventsourced import EventSourcedContext, EventSourcedEntity
from cloudstate_sdk.metadata import Metadata
from cloudstate_sdk.outcomes import Failure, Forward, Reply
from cloudstate_sdk.payloads import pack, pack_json, unpack
from cloudstate_sdk.server import Server, serve
from cloudstate_sdk.valueentity import ValueEntity, ValueEntityContext

__all__ = [
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
