"""The baseline: a bare grpc.aio server that answers each call with its own request bytes.

``python bench/echo_server.py PORT`` serves the workload's method path on
127.0.0.1:PORT until SIGTERM. No (de)serialization and no application code:
what it costs is the Python gRPC stack alone, which is the floor any Python
proxy starts from.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import grpc
from workload import METHOD_NAME, SERVICE


async def _echo(request: bytes, context: Any) -> bytes:
    return request


async def serve(port: int) -> None:
    server = grpc.aio.server()
    handlers = {METHOD_NAME: grpc.unary_unary_rpc_method_handler(_echo)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(1)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
