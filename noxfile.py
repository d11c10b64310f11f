"""Every workflow of the project, one nox session each.

    nox -s spec             # build and publish the specification into dist/spec/
    nox -s tests            # the whole test suite
    nox -s lint typecheck   # ruff, buf lint/format, mypy
    nox -s protos           # regenerate the committed protobuf code (-- --check to verify)
    nox -s requirements     # regenerate spec/requirements.yaml from the Markdown
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
SPEC = ROOT / "spec"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests"]

# Code generation is pinned exactly so that regenerating on any machine gives
# byte-identical files (the freshness check depends on it).
CODEGEN = ["grpcio-tools==1.85.1", "mypy-protobuf==5.1.0"]
BUF = "buf-bin==1.75.0"
TEST_TOOLS = ["pytest>=8", "hypothesis>=6.100", "pytest-asyncio>=0.24"]
# Hand-written Python; generated code (spec/src/cloudstate) is never linted.
PYTHON_SOURCES = ["noxfile.py", "spec/src/cloudstate_protocol", "spec/tools", "spec/tests"]


def _install_spec(session: nox.Session) -> None:
    session.install("-e", str(SPEC))


@nox.session
def protos(session: nox.Session) -> None:
    """Regenerate spec/src/cloudstate and the wire pin; `-- --check` only verifies both."""
    session.install(*CODEGEN, "pyyaml", "googleapis-common-protos")
    _install_spec(session)
    check = "--check" in session.posargs
    if check:
        session.run("python", "spec/tools/protos.py", "check")
        session.run("python", "spec/tools/protos.py", "pin", "--check")
    else:
        session.run("python", "spec/tools/protos.py", "generate")
        session.run("python", "spec/tools/protos.py", "pin")


@nox.session
def requirements(session: nox.Session) -> None:
    """Regenerate spec/requirements.yaml from spec/NN-*.md."""
    _install_spec(session)
    session.run("python", "spec/tools/registry.py", *session.posargs)


@nox.session
def spec(session: nox.Session) -> None:
    """Publish the spec into dist/spec: wheel, sdist, descriptor set, proto zip, HTML."""
    session.install(*CODEGEN, "build", "markdown-it-py")
    _install_spec(session)
    out = ROOT / "dist" / "spec"
    session.run("python", "spec/tools/registry.py", "--check")
    session.run("python", "spec/tools/publish.py", str(out))
    session.log(f"open {out / 'html' / 'index.html'}")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (check and format) on hand-written code; buf lint and format on the protos."""
    session.install("ruff", BUF, *CODEGEN, "googleapis-common-protos")
    session.run("ruff", "check", *PYTHON_SOURCES)
    session.run("ruff", "format", "--check", *PYTHON_SOURCES)
    _install_spec(session)
    session.run("python", "spec/tools/buf.py", "lint")
    session.run("python", "spec/tools/buf.py", "format")
    session.run("python", "spec/tools/buf.py", "breaking")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on hand-written code."""
    session.install("mypy", "types-protobuf", "types-PyYAML", "markdown-it-py", *CODEGEN, *TEST_TOOLS)
    _install_spec(session)
    session.run("mypy", *PYTHON_SOURCES)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: every component's tests, warnings are errors."""
    session.install(*TEST_TOOLS, *CODEGEN, BUF, "build", "markdown-it-py")
    _install_spec(session)
    session.run("pytest", "spec/tests", *session.posargs)
