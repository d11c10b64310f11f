"""Entity keys (spec/03-entity-keys.md): extraction, rendering, missing keys."""

from __future__ import annotations

import grpc
import pytest
from cloudstate_proxy import keys
from cloudstate_proxy.errors import MissingEntityKey
from fake_protos import VE, Cmd, Multi
from proxy_harness import failure, running

MULTI_FIELDS = keys.key_fields(Multi.DESCRIPTOR)


async def test_key_003_key_fields_are_the_marked_ones_in_field_number_order_legacy_included() -> None:
    assert [f.name for f in MULTI_FIELDS] == ["a", "b", "c"]
    assert [f.name for f in keys.key_fields(Cmd.DESCRIPTOR)] == ["id"]


@pytest.mark.parametrize(
    ("values", "rendered"),
    [
        ({"a": "x"}, "x-0-false"),
        ({"a": "x", "b": -12, "c": True}, "x--12-true"),
        ({"b": 7}, "-7-false"),
        ({"c": True}, "-0-true"),
        ({"a": "with-dash", "b": 1}, "with-dash-1-false"),
    ],
)
async def test_key_012_values_are_rendered_and_joined_with_a_dash(values: dict[str, object], rendered: str) -> None:
    assert keys.entity_id(Multi(**values), MULTI_FIELDS) == rendered


async def test_key_015_all_defaults_is_a_missing_key() -> None:
    with pytest.raises(MissingEntityKey, match="a, b, c"):
        keys.entity_id(Multi(), MULTI_FIELDS)


async def test_key_009_a_single_string_key_is_used_unchanged() -> None:
    assert keys.entity_id(Cmd(id=" Spaced Ünïcode "), keys.key_fields(Cmd.DESCRIPTOR)) == " Spaced Ünïcode "


async def test_key_017_the_proxy_sends_the_rendered_id_in_init_and_command() -> None:
    async with running() as env:
        response = await env.unary(f"/{VE}/Keys")(Multi(a="cart", b=3, c=True))
        assert response.value == "cart-3-true"
        stream = env.uf.ve.streams[0]
        assert stream[0].init.entity_id == stream[1].command.entity_id == "cart-3-true"


async def test_key_016_a_missing_key_is_invalid_argument_and_nothing_reaches_the_user_function() -> None:
    async with running() as env:
        code, details = await failure(env.unary(f"/{VE}/Keys")(Multi()))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert "a, b, c" in details
        assert env.uf.ve.streams == []
        assert env.uf.discovery.errors == []  # a client mistake is not reported to the user function
