"""Headers and metadata both ways over a real server (spec/07-metadata.md, META-006 to META-021; spec/13-http.md)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from cloudstate_proxy.invoking import Call, MetadataEntry, Response
from multidict import CIMultiDict
from transcoding_support import ScriptedInvoker, new_invoker, serve_things

invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


async def test_request_headers_become_metadata(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    headers = CIMultiDict(
        [
            ("Authorization", "Bearer abc"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Accept", "application/json"),
            ("Trace-Bin", "AQI"),  # base64 of 01 02, unpadded
            ("TE", "trailers"),
            ("grpc-timeout", "1S"),
            ("Content-Type", "application/json"),
            ("Accept-Encoding", "gzip"),
            ("Connection", "keep-alive"),
        ]
    )
    async with client.post("/v1/things", data=b"{}", headers=headers) as response:
        assert response.status == 200
    entries = invoker.last[0].metadata
    assert [e for e in entries if e.key in ("authorization", "x-multi", "accept", "trace-bin")] == [
        MetadataEntry("authorization", "Bearer abc"),
        MetadataEntry("x-multi", "one"),
        MetadataEntry("x-multi", "two"),
        MetadataEntry("accept", "application/json"),
        MetadataEntry("trace-bin", b"\x01\x02"),
    ]
    keys = {e.key for e in entries}
    assert all(key == key.lower() for key in keys)
    reserved = {"host", "content-type", "content-length", "te", "grpc-timeout", "accept-encoding", "connection"}
    assert not keys & reserved


async def test_a_bin_header_must_be_base64(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async with client.get("/v1/things/x", headers={"x-sig-bin": "not base64!"}) as response:
        assert (response.status, (await response.json())["code"]) == (400, 3)
    assert invoker.calls == []


async def test_reply_metadata_becomes_headers(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    async def script(call: Call, request: Any) -> Response:
        metadata = (
            MetadataEntry("x-cart-version", "7"),
            MetadataEntry("x-multi", "a"),
            MetadataEntry("x-multi", "b"),
            MetadataEntry("X-Upper", "up"),
            MetadataEntry("sig-bin", b"\x0a\x0b"),  # bytes: dropped over HTTP
            MetadataEntry("x-bytes", b"raw"),
            MetadataEntry("text-bin", "c2ln"),  # a string under a -bin key: dropped
            MetadataEntry("content-type", "text/html"),  # reserved
            MetadataEntry("grpc-status", "0"),
            MetadataEntry("bad name", "x"),  # not a header name
            MetadataEntry("x-split", "a\r\nx-injected: 1"),  # not a header value
            MetadataEntry("x-tab", "a\tb"),
        )
        return Response(request, metadata)

    invoker.unary_scripts["Get"] = script
    async with client.get("/v1/things/x") as response:
        assert response.status == 200
        headers = response.headers
        assert headers["x-cart-version"] == "7"
        assert headers.getall("x-multi") == ["a", "b"]
        assert headers["x-upper"] == "up"
        assert headers["x-tab"] == "a\tb"
        assert headers["Content-Type"] == "application/json"
        for dropped in ("sig-bin", "x-bytes", "text-bin", "grpc-status", "bad name", "x-split", "x-injected"):
            assert dropped not in headers
