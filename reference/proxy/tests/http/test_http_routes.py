"""Routing over a real server: each HTTP method, custom methods, every template form, nested fields,
the default route and binding choice (spec/13-http.md, HTTP-005 to HTTP-016)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import yarl
from cloudstate_proxy.http import streaming_rule_warnings
from transcoding_support import ScriptedInvoker, new_invoker, serve_things, things

invoker = pytest.fixture(new_invoker, name="invoker")
client = pytest.fixture(serve_things, name="client")


def raw(path: str) -> yarl.URL:
    """A URL sent exactly as written (escapes such as %2F untouched)."""
    return yarl.URL(path, encoded=True)


async def call(client: aiohttp.ClientSession, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with client.request(method, raw(path), **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else await response.read()
        return response.status, body


async def test_get_binds_the_path_variable(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, body = await call(client, "GET", "/v1/things/abc")
    assert status == 200
    called, request = invoker.last
    assert (called.service, called.method, request.id) == ("httptest.Things", "Get", "abc")
    assert body["id"] == "abc"


async def test_post_with_body_star_takes_the_whole_message(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    status, body = await call(client, "POST", "/v1/things", json={"id": "x", "i64": "12", "inner": {"name": "n"}})
    assert status == 200
    called, request = invoker.last
    assert called.method == "Create"
    assert (request.id, request.i64, request.inner.name) == ("x", 12, "n")
    assert body["i64"] == "12"


async def test_put_path_overrides_the_body(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await call(client, "PUT", "/v1/things/p1", json={"id": "other", "flag": True})
    assert status == 200
    called, request = invoker.last
    assert (called.method, request.id, request.flag) == ("Replace", "p1", True)


async def test_patch_with_a_body_field_also_takes_the_query(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    status, _ = await call(client, "PATCH", "/v1/things/p1?i32=3", json={"name": "n", "count": 2})
    assert status == 200
    called, request = invoker.last
    assert (called.method, request.id, request.i32) == ("Update", "p1", 3)
    assert (request.inner.name, request.inner.count) == ("n", 2)


async def test_delete(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, body = await call(client, "DELETE", "/v1/things/d1")
    assert (status, body) == (200, {})
    called, request = invoker.last
    assert (called.method, request.id) == ("Remove", "d1")


async def test_a_verb_selects_its_binding(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await call(client, "POST", "/v1/things/c1:cancel", json={})
    assert status == 200
    assert (invoker.last[0].method, invoker.last[1].id) == ("Cancel", "c1")
    # Without the verb's binding for GET, the plain variable takes the whole last segment.
    status, _ = await call(client, "GET", "/v1/things/c1:cancel")
    assert status == 200
    assert (invoker.last[0].method, invoker.last[1].id) == ("Get", "c1:cancel")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"])
async def test_custom_kind_star_accepts_every_method(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, method: str
) -> None:
    status, _ = await call(client, method, "/v1/anything/a1")
    assert status == 200
    assert (invoker.last[0].method, invoker.last[1].id) == ("Anything", "a1")


async def test_custom_named_method(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await call(client, "SEARCH", "/v1/things:search", json={"tags": ["a", "b"]})
    assert status == 200
    assert (invoker.last[0].method, list(invoker.last[1].tags)) == ("Search", ["a", "b"])


async def test_nested_field_paths_in_variables(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    status, _ = await call(client, "GET", "/v1/shelves/s1/books/b%20one")
    assert status == 200
    called, request = invoker.last
    assert (called.method, request.inner.name, request.inner.deeper.leaf) == ("Nested", "s1", "b one")


@pytest.mark.parametrize(("shade", "number"), [("GREEN", 2), ("2", 2), ("RED", 1), ("0", 0)])
async def test_additional_binding_with_integer_and_enum_variables(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, shade: str, number: int
) -> None:
    status, _ = await call(client, "GET", f"/v1/big/-9007199254740993/{shade}")
    assert status == 200
    request = invoker.last[1]
    assert (request.inner.deeper.big, request.inner.deeper.shade) == (-9007199254740993, number)


async def test_additional_binding_with_a_repeated_body_field(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    status, _ = await call(client, "POST", "/v1/shelves/s1?i32=4", json=["a", "b"])
    assert status == 200
    request = invoker.last[1]
    assert (request.inner.name, list(request.tags), request.i32) == ("s1", ["a", "b"], 4)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/racks/r1/books/b1", "racks/r1/books/b1"),  # variable with a sub-pattern of literals and *
        ("/v2/files/a/b%2Fc/d%20e", "files/a/b%2Fc/d e"),  # {id=files/**}: %2F stays, the rest is decoded
        ("/v2/files", "files"),  # ** matching no segment
        ("/v3/x/abc%2Fd/e/f", "abc/d"),  # bare * and **; a single-segment variable decodes %2F
        ("/v4/a/b:peek", "a/b"),  # {id=**} with a verb
        ("/v4:peek", ""),  # ... matching nothing at all
        ("/v5/a%20b", "a b"),  # a percent-encoded literal matches its decoded form
    ],
)
async def test_template_forms(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, path: str, expected: str
) -> None:
    status, _ = await call(client, "GET", path)
    assert status == 200
    assert (invoker.last[0].method, invoker.last[1].id) == ("Resource", expected)


async def test_single_segment_values_are_fully_percent_decoded(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    status, _ = await call(client, "GET", "/v1/things/a%2Fb%20c%25")
    assert status == 200
    assert invoker.last[1].id == "a/b c%"


async def test_path_escapes_that_are_not_utf8_are_rejected(client: aiohttp.ClientSession) -> None:
    status, body = await call(client, "GET", "/v1/things/%FF")
    assert (status, body["code"]) == (400, 3)


async def test_a_literal_beats_a_variable(client: aiohttp.ClientSession, invoker: ScriptedInvoker) -> None:
    await call(client, "GET", "/v1/things/special")
    assert invoker.last[0].method == "Special"
    await call(client, "GET", "/v1/things/specials")
    assert invoker.last[0].method == "Get"


@pytest.mark.parametrize("path", ["/v1/things/", "/v1//things/x", "/v1/things/x/y", "/nowhere"])
async def test_unmatched_paths_are_404(client: aiohttp.ClientSession, path: str) -> None:
    status, body = await call(client, "GET", path)
    assert status == 404
    assert body["code"] == 12


async def test_default_route_for_a_method_without_a_rule(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker
) -> None:
    status, body = await call(client, "POST", "/httptest.Things/Plain", json={"id": "p"})
    assert (status, body["id"]) == (200, "p")
    assert invoker.last[0].method == "Plain"


async def test_no_default_route_for_a_method_with_a_rule(client: aiohttp.ClientSession) -> None:
    status, body = await call(client, "POST", "/httptest.Things/Get", json={"id": "p"})
    assert (status, body["code"]) == (404, 12)


@pytest.mark.parametrize("path", ["/httptest.Things/Collect", "/httptest.Things/Chat", "/v1/collect"])
async def test_streamed_requests_are_not_served(
    client: aiohttp.ClientSession, invoker: ScriptedInvoker, path: str
) -> None:
    status, body = await call(client, "POST", path, json={})
    assert (status, body["code"]) == (404, 12)
    if path.startswith("/httptest"):
        assert "gRPC" in body["message"]
    assert invoker.calls == []


def test_a_rule_on_a_client_streaming_method_is_reported() -> None:
    warnings = streaming_rule_warnings([things()])
    assert len(warnings) == 1
    assert "httptest.Things.Collect" in warnings[0]
