"""Graceful shutdown and the connections open on the public port (TRN-040, TRN-042).

Idle connections must not hold the proxy up: the grace period is for calls in
flight. Each test sets a grace period of 60 s and waits at most 30 s for the
shutdown, so a proxy that sat out the grace period fails it; it is the order of
events that is checked, not how long anything took.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from cloudstate_proxy.testing import ProxyProcess
from fake_protos import VE, entity_spec
from proxy_harness import running, start_user_function, wait_until

WAIT = 30.0  # well below the grace period of 60 s


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Send one HTTP/1.1 request on a raw connection and read its response: status, headers, body."""
    writer.write(request)
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
    body = await reader.readexactly(int(headers["content-length"]))
    return int(head[0].split()[1]), headers, body


async def test_trn_040_idle_connections_do_not_hold_up_a_sigterm(capfd: pytest.CaptureFixture[str]) -> None:
    uf = await start_user_function(entity_spec())
    try:
        with ProxyProcess(uf.port, SHUTDOWN_GRACE="60s") as proxy:
            proxy.start()
            await proxy.wait_ready()
            # A keep-alive connection that has had its answer and now only waits...
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.http_port)
            request = b"GET /nothing/here HTTP/1.1\r\nHost: proxy\r\n\r\n"
            status, headers, _ = await _exchange(reader, writer, request)
            assert status == 404
            assert headers.get("connection") != "close"  # the server keeps it open for the next request
            # ...one that never said anything, and one in aiohttp's pool.
            _, silent = await asyncio.open_connection("127.0.0.1", proxy.http_port)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{proxy.http_port}/nothing/here") as response:
                    assert response.status == 404
                    await response.read()
                # stop() sends SIGTERM and raises if the proxy is still running after WAIT.
                assert await proxy.stop(timeout=WAIT) == 0
            assert await asyncio.wait_for(reader.read(), WAIT) == b""
            for opened in (writer, silent):
                opened.close()
    finally:
        await uf.server.stop(0)
    assert "Traceback" not in capfd.readouterr().err


async def test_trn_042_an_http_call_in_flight_is_answered_before_its_connection_closes() -> None:
    async with running(shutdown_grace=60.0) as env:
        assert env.proxy.serving is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", env.proxy.serving.http_port)
        body = json.dumps({"id": "v1", "script": "sleep:1;update:Z"}).encode()
        head = f"POST /{VE}/Do HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        exchange = asyncio.create_task(_exchange(reader, writer, request))
        await wait_until(lambda: any(len(inbound) > 1 for inbound in env.uf.ve.streams))  # init, then the command
        stopping = asyncio.create_task(env.proxy.stop())
        status, _, answer = await asyncio.wait_for(exchange, WAIT)
        assert status == 200
        assert json.loads(answer)["value"] == "Z"
        # Answered, the connection is idle: the proxy closes it and finishes without waiting out the grace period.
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        done, _ = await asyncio.wait([stopping], timeout=WAIT)  # not wait_for: a cancelled stop() would never end
        assert stopping in done
        writer.close()
