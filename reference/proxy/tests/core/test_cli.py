"""``python -m cloudstate_proxy`` as a process: help, bad settings, serving, and SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import aiohttp
import grpc
from fake_protos import ES, Cmd, State, entity_spec
from proxy_harness import free_port, start_user_function, wait_until


async def test_help_lists_the_flags_and_their_variables() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cloudstate_proxy", "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    for text in ("--user-function-port", "USER_FUNCTION_PORT", "--grpc-port", "STORE", "--strict-protocol"):
        assert text in result.stdout


async def test_trn_010_a_bad_variable_exits_non_zero_naming_it() -> None:
    env = {**os.environ, "HTTP_PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-m", "cloudstate_proxy"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "HTTP_PORT" in result.stderr


async def test_trn_039_sigterm_drains_passivates_and_exits_zero() -> None:
    uf = await start_user_function(entity_spec())
    http_port, management_port, metrics_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "USER_FUNCTION_PORT": str(uf.port),
        "HTTP_PORT": str(http_port),
        "HTTP_HOST": "127.0.0.1",
        "MANAGEMENT_PORT": str(management_port),
        "METRICS_PORT": str(metrics_port),
        "SHUTDOWN_GRACE": "2s",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cloudstate_proxy", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{management_port}/ready") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(500):
                if await ready():
                    break
                await asyncio.sleep(0.02)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{http_port}") as channel:
                do = channel.unary_unary(f"/{ES}/Do", Cmd.SerializeToString, State.FromString)
                assert (await do(Cmd(id="e1", script="emit:A"))).value == "A"
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
        await wait_until(lambda: uf.es.completed == 1)  # the entity was passivated on the way out
        assert process.stderr is not None
        lines = [json.loads(line) for line in (await process.stderr.read()).decode().splitlines()]
        assert {"started", "serving", "shutting down", "stopped"} <= {line["msg"] for line in lines}
        assert all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await uf.server.stop(0)
