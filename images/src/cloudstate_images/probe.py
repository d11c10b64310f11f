"""Container health probe, run by an image's HEALTHCHECK with the image's own Python.

    probe.py [--timeout S] http [PATH] [--port-variable NAME --port N]
        # GET http://127.0.0.1:$NAME/PATH answers 2xx (defaults: /ready, MANAGEMENT_PORT, 8558)
    probe.py [--timeout S] grpc          # an HTTP/2 (gRPC) connection to $HOST:$PORT becomes ready

Images carry no curl; this file needs only the standard library, plus grpcio
(installed in every image that serves gRPC) for the gRPC check. Exit status 0
means healthy, 1 unhealthy, with the reason on standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

TIMEOUT = 3.0
#: Addresses a server binds to mean "every interface"; a probe reaches those on loopback.
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def loopback_host(host: str) -> str:
    return "127.0.0.1" if host in WILDCARDS else host


def check_http(url: str, timeout: float = TIMEOUT) -> str | None:
    """None when ``url`` answers with 2xx, else the reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except OSError as error:
        return f"{url} unreachable: {error}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def check_grpc(environ: Mapping[str, str], timeout: float = TIMEOUT) -> str | None:
    """None when a gRPC channel to the user function's HOST:PORT becomes ready, else the reason."""
    import grpc

    target = f"{loopback_host(environ.get('HOST') or '')}:{environ.get('PORT') or '8080'}"
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        return f"no gRPC server ready at {target} within {timeout}s"
    finally:
        channel.close()
    return None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="probe.py", description="Container health probe.")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds to wait for an answer")
    modes = parser.add_subparsers(dest="mode", required=True)
    http = modes.add_parser("http", help="GET a path on the management port")
    http.add_argument("path", nargs="?", default="/ready")
    http.add_argument("--port-variable", default="MANAGEMENT_PORT", help="environment variable holding the port")
    http.add_argument("--port", default="8558", help="the port when that variable is unset")
    modes.add_parser("grpc", help="connect to the gRPC server on HOST:PORT")
    args = parser.parse_args(argv)
    if args.mode == "http":
        port = environ.get(args.port_variable) or args.port
        problem = check_http(f"http://127.0.0.1:{port}/{args.path.lstrip('/')}", args.timeout)
    else:
        problem = check_grpc(environ, args.timeout)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)  # noqa: T201 (the probe's report to docker)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
