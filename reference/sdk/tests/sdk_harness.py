"""Test helpers: a real SDK server on a free port and a client that plays the proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import grpc
from cloudstate import entity_pb2
from cloudstate import event_sourced_pb2 as es
from cloudstate import value_entity_pb2 as ve
from cloudstate_sdk import Server, pack
from cloudstate_sdk._definition import Definition
from google.protobuf.message import Message

# Guards against a hang; never an assertion about speed.
READ_TIMEOUT = 20.0


@asynccontextmanager
async def serving(entities: Sequence[Definition]) -> AsyncIterator[grpc.aio.Channel]:
    """Start a Server for ``entities`` on a free port and yield a channel to it."""
    async with Server(entities, port=0) as server, grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


class Stream:
    """One bidirectional entity stream, driven message by message."""

    def __init__(self, call: Any) -> None:
        self._call = call

    async def send(self, message: Message) -> None:
        await self._call.write(message)

    async def receive(self) -> Any:
        message = await asyncio.wait_for(self._call.read(), READ_TIMEOUT)
        assert message is not grpc.aio.EOF, "the stream ended"
        return message

    async def rest(self) -> list[Any]:
        """Everything the user function still sends until it completes the stream."""
        out = []
        while (message := await asyncio.wait_for(self._call.read(), READ_TIMEOUT)) is not grpc.aio.EOF:
            out.append(message)
        return out

    async def close(self) -> list[Any]:
        """Half-close (as the proxy does to passivate) and return what else arrives."""
        await self._call.done_writing()
        rest = await self.rest()
        assert await self._call.code() == grpc.StatusCode.OK
        return rest


def command(
    command_id: int, name: str, payload: Message, entity_id: str, metadata: dict[str, str] | None = None
) -> entity_pb2.Command:
    out = entity_pb2.Command(entity_id=entity_id, id=command_id, name=name, payload=pack(payload))
    for key, value in (metadata or {}).items():
        out.metadata.entries.add(key=key, string_value=value)
    return out


def es_init(
    service: str, entity_id: str, snapshot: Message | None = None, sequence: int = 0
) -> es.EventSourcedStreamIn:
    init = es.EventSourcedInit(service_name=service, entity_id=entity_id)
    if snapshot is not None:
        init.snapshot.snapshot_sequence = sequence
        init.snapshot.snapshot.CopyFrom(pack(snapshot))
    return es.EventSourcedStreamIn(init=init)


def es_event(sequence: int, event: Message) -> es.EventSourcedStreamIn:
    return es.EventSourcedStreamIn(event=es.EventSourcedEvent(sequence=sequence, payload=pack(event)))


def es_command(*args: Any, **kwargs: Any) -> es.EventSourcedStreamIn:
    return es.EventSourcedStreamIn(command=command(*args, **kwargs))


def ve_init(service: str, entity_id: str, value: object = None) -> ve.ValueEntityStreamIn:
    init = ve.ValueEntityInit(service_name=service, entity_id=entity_id)
    init.state.SetInParent()
    if value is not None:
        init.state.value.CopyFrom(pack(value))
    return ve.ValueEntityStreamIn(init=init)


def ve_command(*args: Any, **kwargs: Any) -> ve.ValueEntityStreamIn:
    return ve.ValueEntityStreamIn(command=command(*args, **kwargs))
