"""The build tooling without Docker: the health probe, wheel platform tags, the apt mirror and the build order."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from cloudstate_images import BuildError, base, catalog, probe, wheelhouse
from images_harness import free_port


class _Management(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ready" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def management_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Management)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_probe_is_healthy_only_on_a_2xx_answer(management_port: int) -> None:
    environ = {"MANAGEMENT_PORT": str(management_port)}
    assert probe.main(["http", "/ready"], environ) == 0
    assert probe.main(["http", "/alive"], environ) == 1
    assert probe.main(["http"], {"MANAGEMENT_PORT": str(free_port())}) == 1
    other = {"HEALTH": str(management_port), "MANAGEMENT_PORT": str(free_port())}
    assert probe.main(["http", "/ready", "--port-variable", "HEALTH"], other) == 0
    assert probe.main(["http", "/ready", "--port", str(management_port)], {}) == 0


def test_grpc_probe_is_healthy_only_when_a_grpc_server_answers() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        assert probe.main(["grpc"], {"HOST": "0.0.0.0", "PORT": str(port)}) == 0
    finally:
        server.stop(None)
    assert probe.main(["--timeout", "0.5", "grpc"], {"HOST": "127.0.0.1", "PORT": str(free_port())}) == 1


def test_platform_tags_accept_every_glibc_up_to_the_base_images() -> None:
    tags = wheelhouse.platform_tags("x86_64", (2, 36))
    assert tags[0] == "manylinux_2_36_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert "manylinux_2_37_x86_64" not in tags
    assert all(tag.endswith("_aarch64") for tag in wheelhouse.platform_tags("aarch64"))


def test_debian_mirror_is_read_from_deb822_and_one_line_sources(tmp_path: Path) -> None:
    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n",
        encoding="utf-8",
    )
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://mirror.example/debian bookworm main\n", encoding="utf-8")
    assert base.debian_mirror((deb822, one_line)) == "http://mirror.example/debian"
    deb822.write_text("Types: deb\nURIs: http://other.example/debian\nSuites: bookworm bookworm-updates\n")
    assert base.debian_mirror((tmp_path,)) == "http://other.example/debian"


def test_debian_mirror_missing_is_a_build_error(tmp_path: Path) -> None:
    (tmp_path / "node.sources").write_text("URIs: https://deb.example/node_20.x\nSuites: nodistro\n")
    with pytest.raises(BuildError, match="no Debian bookworm mirror"):
        base.debian_mirror((tmp_path,))


def test_build_order_puts_an_image_after_the_one_it_is_built_on() -> None:
    assert [i.name for i in catalog.in_build_order(["sdk-examples"])] == ["sdk-tck", "sdk-examples"]
    assert [i.name for i in catalog.in_build_order()] == ["proxy", "sdk-tck", "sdk-examples", "operator"]
    with pytest.raises(KeyError, match="known: proxy"):
        catalog.in_build_order(["nope"])
