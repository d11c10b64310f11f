"""Helpers shared by the fake TCK-model user function (test code, not part of the TCK).

The fake is written independently of ``tck.models`` so that the machines are
checked against a second implementation rather than against themselves.
"""

from __future__ import annotations

from cloudstate import entity_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

PREFIX = "type.googleapis.com/"


def pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message, type_url_prefix=PREFIX)
    return packed


def unpack(packed: any_pb2.Any, into: Message) -> bool:
    """Decode ``packed`` into ``into`` when its type URL names exactly that message type."""
    if packed.type_url != PREFIX + into.DESCRIPTOR.full_name:
        return False
    into.ParseFromString(packed.value)
    return True


def violation(command_id: int, text: str) -> entity_pb2.Failure:
    return entity_pb2.Failure(command_id=command_id, description=f"protocol violation: {text}")


def effect(service: str, payload: Message, synchronous: bool) -> entity_pb2.SideEffect:
    return entity_pb2.SideEffect(
        service_name=service, command_name="Call", payload=pack(payload), synchronous=synchronous
    )


def reply(payload: Message) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(reply=entity_pb2.Reply(payload=pack(payload)))


def forward(service: str, method: str, payload: Message) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(
        forward=entity_pb2.Forward(service_name=service, command_name=method, payload=pack(payload))
    )


def failure(command_id: int, message: str, restart: bool = False) -> entity_pb2.ClientAction:
    return entity_pb2.ClientAction(
        failure=entity_pb2.Failure(command_id=command_id, description=message, restart=restart)
    )


def command_problem(
    command: entity_pb2.Command, entity_id: str, method: str, into: Message
) -> entity_pb2.Failure | None:
    """The stream failure for a command that does not fit its stream (FAIL-040..042), else None after decoding."""
    if command.entity_id != entity_id:
        return violation(command.id, f"entity id {command.entity_id} is not {entity_id}")
    if command.name != method:
        return violation(command.id, f"unknown command {command.name}")
    if not unpack(command.payload, into):
        return violation(command.id, f"payload {command.payload.type_url} is not a {into.DESCRIPTOR.full_name}")
    return None
