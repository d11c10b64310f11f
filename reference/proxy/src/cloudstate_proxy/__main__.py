"""``python -m cloudstate_proxy`` / ``cloudstate-proxy``: run the proxy until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from cloudstate_proxy import logs
from cloudstate_proxy.proxy import Proxy
from cloudstate_proxy.settings import Settings, SettingsError, parse_settings

log = logging.getLogger("cloudstate_proxy")


async def run(settings: Settings) -> None:
    """Start the proxy, serve until a termination signal, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    proxy = Proxy(settings)
    await proxy.start()
    log.info(
        "started",
        extra={
            "user_function": f"{settings.user_function_host}:{settings.user_function_port}",
            "http_port": settings.http_port,
            "management_ports": list(proxy.management_ports),
        },
    )
    await stop.wait()
    await proxy.stop()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = parse_settings(sys.argv[1:] if argv is None else argv, os.environ)
    except SettingsError as error:
        print(f"cloudstate-proxy: {error}", file=sys.stderr)  # noqa: T201 (logging is not configured yet)
        return 2
    logs.configure(settings.log_level)
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
