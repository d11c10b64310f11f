"""Recognising, in the interceptor's records, the calls the models predict (forwards and side effects).

The models describe a call as (service, method, id). On the wire it is a
command on a stream whose init names the service (entities) or the first
``ActionCommand`` of an action call; the id is the ``id`` field of the payload.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cloudstate import action_pb2, entity_pb2
from google.protobuf import any_pb2, symbol_database
from google.protobuf.message import DecodeError, Message

from tck.models.effects import Call
from tck.proxy.records import Record, StreamInfo
from tck.proxy.relay import Matcher

ENTITY_PROTOCOLS = ("eventsourced", "valueentity")
#: The entity protocols whose streams carry `Command`s (CRDT streams follow rules of their own: tck.proxy.crdt_rules).
COMMAND_PROTOCOLS = (*ENTITY_PROTOCOLS, "crdt")


def target_id(prefix: str, raw: str) -> str:
    """The entity id of a forward or side-effect target: ``prefix`` (unique to the step and position), then ``raw``.

    NUL becomes "0": KEY-023 lets a proxy refuse entity ids containing it (the
    reference proxy's PostgreSQL store keeps ids as text), so a proxy that does
    would fail the call for a reason the machines do not predict. The keys
    scenario checks KEY-023 itself.
    """
    return f"{prefix}{raw.replace(chr(0), '0')}"


def payload_id(payload: any_pb2.Any) -> str:
    """The ``id`` field of a TCK model payload ("" when the type is unknown or has no id)."""
    try:
        kind = symbol_database.Default().GetSymbol(payload.type_url.rsplit("/", 1)[-1])
    except KeyError:
        return ""
    message = kind()
    try:
        message.ParseFromString(payload.value)
    except DecodeError:
        return ""
    return str(getattr(message, "id", ""))


def command_of(message: Message | None) -> entity_pb2.Command | None:
    """The command in an entity stream's in message, if it is one."""
    if message is None or "message" not in message.DESCRIPTOR.oneofs_by_name:
        return None
    if message.WhichOneof("message") != "command":
        return None
    command: entity_pb2.Command = getattr(message, "command")  # noqa: B009 (any entity protocol)
    return command


def call_of(info: StreamInfo, message: Message | None) -> Call | None:
    """The call an in message starts: a command of an entity stream or an action call's first command."""
    if info.protocol in COMMAND_PROTOCOLS:
        command = command_of(message)
        return Call(info.service, command.name, payload_id(command.payload)) if command is not None else None
    if info.protocol == "action" and isinstance(message, action_pb2.ActionCommand) and message.service_name:
        return Call(message.service_name, message.name, payload_id(message.payload))
    return None


def matching(calls: Collection[Call]) -> Matcher:
    """A gate matcher for in messages that start one of ``calls``."""
    wanted = frozenset(calls)

    def match(info: StreamInfo, message: Message) -> bool:
        return call_of(info, message) in wanted

    return match


def metadata_of(message: Message | None) -> entity_pb2.Metadata:
    """The metadata a command or action command carries."""
    command: Any = command_of(message) or message
    if isinstance(command, entity_pb2.Command | action_pb2.ActionCommand):
        return command.metadata
    return entity_pb2.Metadata()


def observed(records: list[Record], streams: dict[int, StreamInfo], calls: Collection[Call]) -> dict[Call, Record]:
    """The first in record starting each of ``calls`` (calls not seen are missing)."""
    seen: dict[Call, Record] = {}
    for record in records:
        if record.kind == "in" and record.stream in streams:
            call = call_of(streams[record.stream], record.message)
            if call is not None and call in calls and call not in seen:
                seen[call] = record
    return seen


def sent_metadata(reply: Record | None) -> dict[Call, entity_pb2.Metadata]:
    """The metadata the user function gave each forward and side effect of its reply (or action response)."""
    if reply is None:
        return {}
    out: Any = reply.message
    answer = out if isinstance(out, action_pb2.ActionResponse) else out.reply
    found: dict[Call, entity_pb2.Metadata] = {}
    for effect in answer.side_effects:
        found[Call(effect.service_name, effect.command_name, payload_id(effect.payload))] = effect.metadata
    forward = answer.forward if isinstance(answer, action_pb2.ActionResponse) else answer.client_action.forward
    if forward.service_name:
        found[Call(forward.service_name, forward.command_name, payload_id(forward.payload))] = forward.metadata
    return found
