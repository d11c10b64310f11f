"""Which server an HTTP/2 prior-knowledge connection is for: read on past the preface to its first request.

Every gRPC client opens with the HTTP/2 preface, but so does a client sending
HTTP/JSON over cleartext HTTP/2 (HTTP-003); only the first request's
``content-type`` tells them apart (HTTP-002). gRPC's own client sends no request
before the server's SETTINGS frame has arrived, so the front sends an empty one
first (it changes no setting, and the gRPC server's own SETTINGS follow if the
connection goes there). The client acknowledges it, and that acknowledgement is
dropped: the gRPC server never sent those settings and would refuse it.
"""

from __future__ import annotations

import asyncio
import dataclasses

import hpack

EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # length 0, type SETTINGS, no flags, stream 0
_HEADERS, _SETTINGS, _PING, _CONTINUATION = 0x1, 0x4, 0x6, 0x9
_ACK, _END_HEADERS, _PADDED, _PRIORITY = 0x1, 0x4, 0x8, 0x20
_MAX_FRAME = 16_384  # SETTINGS_MAX_FRAME_SIZE until the server allows more, which the front has not
_MAX_OPENING = 256 * 1024  # enough for any real opening; past it the connection goes to gRPC, as all did before
_GRPC = b"application/grpc"


@dataclasses.dataclass(frozen=True)
class Opening:
    replay: bytes  # every byte read, preface included, except the acknowledgement of the front's SETTINGS
    grpc: bool  # the first request is a gRPC call (or the opening could not be understood: gRPC, as before)
    acked: bool  # the acknowledgement has been read (and dropped)


def is_grpc(content_type: bytes) -> bool:
    """HTTP-002: ``application/grpc``, or ``application/grpc+...`` / ``application/grpc;...``."""
    value = content_type.strip().lower()
    return value == _GRPC or value.startswith((_GRPC + b"+", _GRPC + b";"))


async def read_opening(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, preface: bytes) -> Opening | None:
    """Send the client the front's SETTINGS, read on to the end of the first HEADERS block; None if the client left."""
    writer.write(EMPTY_SETTINGS)
    replay, block, acked = bytearray(preface), bytearray(), False
    try:
        while len(replay) < _MAX_OPENING:
            head = await reader.readexactly(9)
            length, kind, flags = int.from_bytes(head[:3], "big"), head[3], head[4]
            if length > _MAX_FRAME:  # a protocol error: the gRPC server answers it, as it did before
                return Opening(bytes(replay + head), True, acked)
            payload = await reader.readexactly(length)
            if kind == _SETTINGS and flags & _ACK and not acked:
                acked = True
                continue
            if kind == _PING and not flags & _ACK:  # a keep-alive of a channel not used yet: no server but the front
                writer.write(head[:4] + bytes([_ACK]) + head[5:] + payload)
                continue
            replay += head + payload
            if kind == _HEADERS:
                block = bytearray(_fragment(payload, flags))
            elif kind == _CONTINUATION:
                block += payload
            else:
                continue
            if flags & _END_HEADERS:
                return Opening(bytes(replay), _content_type_is_grpc(bytes(block)), acked)
    except asyncio.IncompleteReadError:
        return None
    return Opening(bytes(replay), True, acked)


async def forward_until_ack(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Pass the client's frames on until its acknowledgement of the front's SETTINGS, which is dropped.

    Only for a client that sent its first request before that SETTINGS frame reached it; gRPC's own client waits
    for it, so its acknowledgement is read with the opening and its calls never come this way.
    """
    try:
        while True:
            head = await reader.readexactly(9)
            payload = await reader.readexactly(int.from_bytes(head[:3], "big"))
            if head[3] == _SETTINGS and head[4] & _ACK:
                return
            writer.write(head + payload)
            await writer.drain()
    except asyncio.IncompleteReadError as ended:  # the client half-closed: pass on what came, the pipe sees the end
        writer.write(ended.partial)


def _fragment(payload: bytes, flags: int) -> bytes:
    """The header block fragment of a HEADERS frame: without padding and priority fields."""
    if flags & _PADDED:
        payload = payload[1 : len(payload) - payload[0]] if payload else b""
    if flags & _PRIORITY:
        payload = payload[5:]
    return payload


def _content_type_is_grpc(block: bytes) -> bool:
    try:
        # The first header block of a connection can only refer to the static table: a fresh decoder reads it.
        headers = hpack.Decoder().decode(block, raw=True)
    except hpack.HPACKError:
        return True  # not ours to judge: the gRPC server answers a malformed block as it did before
    return any(name == b"content-type" and is_grpc(bytes(value)) for name, value in headers)
