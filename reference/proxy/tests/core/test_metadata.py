"""Request headers into commands, reply metadata into response headers (spec/07-metadata.md)."""

from __future__ import annotations

import grpc
import pytest
from fake_protos import ACT, ES, VE, Cmd
from proxy_harness import running

HEADERS = (("x-request-id", "42"), ("x-multi", "1"), ("x-multi", "2"), ("trace-bin", b"\x01\x02"))


@pytest.mark.parametrize("path", [f"/{ES}/Do", f"/{VE}/Do", f"/{ACT}/Unary"])
async def test_meta_011_request_headers_reach_every_entity_type_in_order(path: str) -> None:
    async with running() as env:
        response = await env.unary(path)(Cmd(id="m1"), metadata=HEADERS, timeout=30)
        received = [m for m in response.meta if m.startswith(("x-", "trace-bin", "grpc-", "content-type", ":"))]
        assert received == ["x-request-id=42", "x-multi=1", "x-multi=2", "trace-bin=\x01\x02"]


async def test_meta_010_binary_headers_arrive_as_bytes() -> None:
    async with running() as env:
        await env.unary(f"/{ES}/Do")(Cmd(id="m1"), metadata=HEADERS)
        entries = {e.key: e for e in env.uf.es.commands()[0].metadata.entries}
        assert entries["trace-bin"].bytes_value == b"\x01\x02"
        assert entries["x-request-id"].string_value == "42"
        assert "user-agent" in entries  # an ordinary header


async def test_meta_016_reply_metadata_becomes_initial_metadata_without_reserved_or_bad_entries() -> None:
    script = "meta:x-version=7;bmeta:sig=ab;meta:content-type=text/evil;meta:bad-bin=x;meta:grpc-status=0"
    async with running() as env:
        call = env.unary(f"/{VE}/Do")(Cmd(id="v1", script=script))
        headers = list(await call.initial_metadata())
        await call
        assert ("x-version", "7") in headers
        assert ("sig-bin", b"ab") in headers
        assert all(key not in ("bad-bin", "grpc-status") for key, _ in headers)
        assert ("content-type", "text/evil") not in headers


async def test_a_failure_carries_no_reply_metadata() -> None:
    async with running() as env:
        call = env.unary(f"/{VE}/Do")(Cmd(id="v1", script="meta:x-version=7;fail:no"))
        with pytest.raises(grpc.aio.AioRpcError):
            await call
        assert ("x-version", "7") not in list(await call.initial_metadata())
