"""Health and metrics over plain HTTP: /alive, /ready and /metrics.

They are served from the moment the process starts (before discovery, so
that an orchestrator sees a live but unready proxy) on MANAGEMENT_PORT and
on METRICS_PORT; both ports answer all three paths, which keeps probes
working whichever port a deployment points them at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from cloudstate_proxy.metrics import Metrics


def management_app(metrics: Metrics, ready: Callable[[], Awaitable[bool]]) -> web.Application:
    async def alive(_: web.Request) -> web.Response:
        return web.Response(text="alive\n")

    async def readiness(_: web.Request) -> web.Response:
        if await ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready\n")

    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    app = web.Application()
    app.router.add_get("/alive", alive)
    app.router.add_get("/ready", readiness)
    app.router.add_get("/metrics", scrape)
    return app
