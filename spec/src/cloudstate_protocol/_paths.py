"""Where the ``.proto`` sources and the requirement registry are.

In a wheel they are package data (``cloudstate_protocol/proto``,
``cloudstate_protocol/requirements.yaml``); in a source checkout, including an
editable install, they are read from the ``spec/`` folder itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent  # spec/ when running from the source tree


def proto_root() -> Path:
    """The include root of the protocol's ``.proto`` files (holds ``cloudstate/``)."""
    packaged = _PACKAGE / "proto"
    return packaged if packaged.is_dir() else _CHECKOUT / "proto"


def requirements_path() -> Path:
    """The machine-readable requirement registry."""
    packaged = _PACKAGE / "requirements.yaml"
    return packaged if packaged.is_file() else _CHECKOUT / "requirements.yaml"
