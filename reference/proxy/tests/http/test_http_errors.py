"""Error answers over a real server: every ProxyError, unexpected exceptions, 404, 405, 413, and routes of the
proxy's own that take precedence (spec/13-http.md, HTTP-016, HTTP-050 to HTTP-053)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cloudstate_proxy import errors
from cloudstate_proxy.invoking import Call, Response
from transcoding_support import ScriptedInvoker, new_invoker, serve, serve_things


def every_proxy_error(base: type[errors.ProxyError] = errors.ProxyError) -> Iterator[type[errors.ProxyError]]:
    yield base
    for sub in base.__subclasses__():
        if sub.__module__ == errors.__name__:  # the proxy's own tree, not the transcoder's additions
            yield from every_proxy_error(sub)


invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


def fail_with(invoker: ScriptedInvoker, error: Exception) -> None:
    async def script(call: Call, request: Any) -> Response:
        raise error

    invoker.unary_scripts["Get"] = script


@pytest.mark.parametrize("error_class", list(every_proxy_error()), ids=lambda c: c.__name__)
async def test_every_proxy_error_maps_to_its_status(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, error_class: type[errors.ProxyError]
) -> None:
    error = error_class(f"{error_class.__name__} happened")
    fail_with(invoker, error)
    async with client.get("/v1/things/x") as response:
        assert response.status == error.http_status
        assert response.headers["Content-Type"] == "application/json"
        body = await response.json()
    assert body == {"code": error.code.value[0], "message": f"{error_class.__name__} happened", "details": []}


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.ClientFailure("expected failure"), 500, 2),  # HTTP-053
        (errors.InvalidRequest("bad"), 400, 3),
        (errors.EntityDeleted("gone"), 404, 5),
        (errors.RelayTimeout("slow"), 504, 4),
        (errors.UserFunctionUnavailable("down"), 503, 14),
        (errors.EntityFailure("crash"), 500, 13),
    ],
)
async def test_status_mapping_examples(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, error: errors.ProxyError, status: int, code: int
) -> None:
    fail_with(invoker, error)
    async with client.get("/v1/things/x") as response:
        assert (response.status, await response.json()) == (
            status,
            {"code": code, "message": error.message, "details": []},
        )


async def test_unexpected_exception_is_internal_without_details(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    fail_with(invoker, RuntimeError("secret detail"))
    async with client.get("/v1/things/x") as response:
        body = await response.json()
        assert (response.status, body["code"]) == (500, 13)
    assert "secret" not in body["message"]


async def test_unknown_path_is_404_json(client: aiohttp.ClientSession) -> None:
    async with client.get("/no/such/path") as response:
        assert (response.status, response.headers["Content-Type"]) == (404, "application/json")
        body = await response.json()
    assert (body["code"], body["details"]) == (12, [])
    assert "/no/such/path" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/things", "POST"),
        ("POST", "/v1/things/x", "DELETE, GET, PATCH, PUT"),
        ("GET", "/v1/things:search", "SEARCH"),
        ("GET", "/httptest.Things/Plain", "POST"),
    ],
)
async def test_wrong_method_is_405_with_allow(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, method: str, path: str, allow: str
) -> None:
    async with client.request(method, path) as response:
        assert (response.status, response.headers["Allow"]) == (405, allow)
        assert (await response.json())["code"] == 12
    assert invoker.calls == []


async def test_body_over_the_limit_is_413(invoker: ScriptedInvoker) -> None:
    async with serve(invoker, max_message_bytes=64) as client:
        async with client.post("/v1/things", json={"id": "x" * 100}) as response:
            assert (response.status, (await response.json())["code"]) == (413, 8)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit applies while reading
            yield b'{"id":"'
            for _ in range(10):
                yield b"x" * 10
            yield b'"}'

        async with client.post("/v1/things", data=chunks(), headers={"Content-Type": "application/json"}) as response:
            assert (response.status, (await response.json())["code"]) == (413, 8)
        async with client.post("/v1/things", json={"id": "x" * 40}) as response:
            assert response.status == 200
    assert len(invoker.calls) == 1


async def test_routes_added_to_the_app_take_precedence(invoker: ScriptedInvoker) -> None:
    async def healthy(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def configure(app: web.Application) -> None:
        app.router.add_get("/healthz", healthy)
        app.router.add_get("/v1/things/special", healthy)

    async with serve(invoker, configure=configure) as client:
        for path in ("/healthz", "/v1/things/special"):
            async with client.get(path) as response:
                assert (response.status, await response.text()) == (200, "ok")
        async with client.get("/v1/things/other") as response:
            assert response.status == 200
        async with client.post("/healthz") as response:  # not the route's method: back to the transcoder
            assert response.status == 404
    assert [call.method for call, _ in invoker.calls] == ["Get"]
