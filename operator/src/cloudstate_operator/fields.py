"""Typed, path-aware reading of a resource's spec (a JSON object of unknown shape).

The CRDs' OpenAPI schemas already reject most bad input, but the operator must
not depend on that: a CRD installed without its schema, an older CRD version or
a hand-made object must end in :class:`~cloudstate_operator.errors.InvalidSpec`
naming the field, never in a ``KeyError`` that kopf would retry forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudstate_operator.errors import InvalidSpec


class Fields:
    """One JSON object and the path it sits at (``spec.proxy``), for error messages."""

    def __init__(self, value: object, path: str) -> None:
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise InvalidSpec(f"{path} must be an object")
        self.value: Mapping[str, Any] = value
        self.path = path

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def obj(self, key: str) -> Fields:
        """The nested object (empty when absent)."""
        return Fields(self.value.get(key), self.at(key))

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.value.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value:
            raise InvalidSpec(f"{self.at(key)} must be a non-empty string")
        return value

    def required_string(self, key: str) -> str:
        value = self.string(key)
        if value is None:
            raise InvalidSpec(f"{self.at(key)} is required")
        return value

    def integer(self, key: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.value.get(key, default)
        if value is None:
            value = default
        # bool is an int in Python but not in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidSpec(f"{self.at(key)} must be an integer")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise InvalidSpec(f"{self.at(key)} must be {bounds}, not {value}")
        return value

    def port(self, key: str, default: int) -> int:
        return self.integer(key, default, minimum=1, maximum=65535)

    def objects(self, key: str) -> list[Mapping[str, Any]]:
        """A list of objects (empty when absent)."""
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise InvalidSpec(f"{self.at(key)} must be a list of objects")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.string(key, default)
        if value is not None and value not in choices:
            raise InvalidSpec(f"{self.at(key)} must be one of {', '.join(choices)}, not {value!r}")
        return value
