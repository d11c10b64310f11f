"""Serve the TCK model services: ``python -m cloudstate_sdk.tck_model [--host H] [--port P]``.

Without options the address comes from HOST and PORT, else 127.0.0.1:8080.
"""

from __future__ import annotations

import argparse

from cloudstate_sdk._version import __version__
from cloudstate_sdk.server import serve
from cloudstate_sdk.tck_model import entities


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cloudstate_sdk.tck_model", description=__doc__)
    parser.add_argument("--host", help="address to bind (default: $HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind, 0 for any free one (default: $PORT or 8080)")
    args = parser.parse_args(argv)
    serve(entities(), host=args.host, port=args.port, service_name="cloudstate-tck-model", service_version=__version__)


if __name__ == "__main__":
    main()
