"""Running an aiohttp application on one or more TCP addresses, and knowing the ports it got."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web


class Sites:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._sites: list[web.TCPSite] = []

    async def start(
        self, app: web.Application, addresses: Sequence[tuple[str, int]], shutdown_timeout: float = 5.0
    ) -> None:
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        await self._runner.setup()
        for host, port in addresses:
            site = web.TCPSite(self._runner, host, port)
            await site.start()
            self._sites.append(site)

    @property
    def ports(self) -> tuple[int, ...]:
        """The bound ports, in the order of the addresses (useful when 0 asked for a free one)."""
        return tuple(site.port for site in self._sites)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._sites = []
