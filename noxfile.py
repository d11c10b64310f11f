"""Every workflow of the project, one nox session each.

    nox -s tck              # run the TCK on the reference proxy and SDK; reports into reports/
    nox -s tests            # the whole test suite (every component)
    nox -s spec             # build and publish the specification into dist/spec/
    nox -s lint typecheck   # ruff, buf lint/format/breaking, mypy --strict
    nox -s protos           # regenerate the committed protobuf code (-- --check to verify)
    nox -s requirements     # regenerate spec/requirements.yaml from the Markdown

Components are the folders with a pyproject.toml below; each is its own
distribution with ``src/``, ``tests/`` and optionally ``tools/``.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
SPEC = ROOT / "spec"
# In dependency order: everything depends on spec; tck depends on nothing else of ours.
COMPONENTS = ["spec", "reference/sdk", "reference/proxy", "tck", "operator", "images"]
# Plain script folders (no distribution of their own) that are linted, type-checked and tested too.
SCRIPT_FOLDERS = ["bench"]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "tests"]

# Code generation is pinned exactly so that regenerating on any machine gives
# byte-identical files (the freshness tests depend on it).
CODEGEN = ["grpcio-tools==1.85.1", "mypy-protobuf==5.1.0"]
BUF = "buf-bin==1.75.0"
TEST_TOOLS = [
    "pytest>=8",
    "hypothesis>=6.100",
    "pytest-asyncio>=0.24",
    "markdown-it-py",
    "build",
    "kmock>=0.8",
    "kubernetes-validate>=1.31",
    "jsonschema>=4.20",
    BUF,
    *CODEGEN,
]
TYPING_TOOLS = ["mypy", "types-protobuf", "types-PyYAML", "types-jsonschema", "asyncpg-stubs"]


def _components() -> list[str]:
    return [c for c in COMPONENTS if (ROOT / c / "pyproject.toml").is_file()]


def _install_components(session: nox.Session) -> None:
    args: list[str] = []
    for component in _components():
        args += ["-e", str(ROOT / component)]
    session.install(*args)


def _python_sources(component: str) -> list[str]:
    # tck/ is itself the package `tck` (so that tck/models/ is tck.models); the
    # other components keep their packages under src/.
    if not (ROOT / component / "src").is_dir():
        return [component]
    parts = ("src", "examples", "tools", "tests")
    return [f"{component}/{part}" for part in parts if (ROOT / component / part).is_dir()]


@nox.session
def protos(session: nox.Session) -> None:
    """Regenerate committed protobuf code and the wire pin; `-- --check` only verifies."""
    session.install(*CODEGEN, "pyyaml", "googleapis-common-protos")
    _install_components(session)
    check = "--check" in session.posargs
    session.run("python", "spec/tools/protos.py", "check" if check else "generate")
    session.run("python", "spec/tools/protos.py", "pin", *(["--check"] if check else []))
    for component in _components():
        script = ROOT / component / "tools" / "protos.py"
        if component != "spec" and script.is_file():
            session.run("python", str(script), "check" if check else "generate")


@nox.session
def requirements(session: nox.Session) -> None:
    """Regenerate spec/requirements.yaml from spec/NN-*.md (`-- --check` only verifies)."""
    session.install("-e", str(SPEC))
    session.run("python", "spec/tools/registry.py", *session.posargs)


@nox.session
def spec(session: nox.Session) -> None:
    """Publish the spec into dist/spec: wheel, sdist, descriptor set, proto zip, HTML."""
    session.install(*CODEGEN, "build", "markdown-it-py")
    session.install("-e", str(SPEC))
    out = ROOT / "dist" / "spec"
    session.run("python", "spec/tools/registry.py", "--check")
    session.run("python", "spec/tools/publish.py", str(out))
    session.log(f"open {out / 'html' / 'index.html'}")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (check and format) on hand-written code; buf lint, format and breaking on the protos."""
    session.install("ruff", BUF, *CODEGEN, "googleapis-common-protos")
    sources = ["noxfile.py", *(s for c in _components() for s in _python_sources(c)), *SCRIPT_FOLDERS]
    session.run("ruff", "check", *sources)
    session.run("ruff", "format", "--check", *sources)
    session.install("-e", str(SPEC))
    for command in ("lint", "format", "breaking"):
        session.run("python", "spec/tools/buf.py", command)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on every component's hand-written code, one component at a time."""
    session.install(*TYPING_TOOLS, *TEST_TOOLS)
    _install_components(session)
    for component in _components():
        session.run("mypy", *_python_sources(component))
    for folder in SCRIPT_FOLDERS:
        session.run("mypy", folder)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: every component's tests, warnings are errors."""
    session.install(*TEST_TOOLS)
    _install_components(session)
    for folder in [*_components(), *SCRIPT_FOLDERS]:
        if (ROOT / folder / "tests").is_dir():
            session.run("pytest", f"{folder}/tests", *session.posargs)


@nox.session
def tck(session: nox.Session) -> None:
    """Run the TCK on the reference pair, both directions; reports into reports/ (JSON, JUnit, Markdown, HTML).

    `-- --proxy-image IMAGE --sdk-image IMAGE` runs images instead (either side may stay a process).
    """
    _install_components(session)
    session.install("docker>=7.0")  # the tck[images] extra, for image targets
    session.run(
        "python",
        "-m",
        "tck",
        "run",
        "--sdk",
        "python -m cloudstate_sdk.tck_model",
        "--proxy",
        "python -m cloudstate_proxy",
        "--profile",
        "quick",
        "--report-dir",
        "reports",
        "--name",
        "reference",
        *session.posargs,
    )


@nox.session
def tck_matrix(session: nox.Session) -> None:
    """The TCK on every pair of reports/permutations.yaml (processes, images, images on PostgreSQL); writes matrix.*.

    Needs the images (nox -s images). `-- --max-examples 20 --no-shrink` is CI's smaller run; see reports/README.md.
    """
    _install_components(session)
    session.install("docker>=7.0")
    permutations = "reports/permutations.yaml"
    # Run settings given here (--max-examples, --no-shrink, ...) override the file's for every pair.
    session.run("python", "-m", "tck", "matrix", permutations, "--report-dir", "reports", *session.posargs)


@nox.session
def images(session: nox.Session) -> None:
    """Build the container images (cloudstate/<name>:<version> and :dev); needs a Docker engine (docker-up.sh)."""
    session.install("pip", "hatchling")  # uv-made venvs have no pip; hatchling avoids isolated builds
    session.run("python", "images/build.py", *session.posargs)


@nox.session(name="operator_e2e")
def operator_e2e(session: nox.Session) -> None:
    """The operator end to end on the cluster in KUBECONFIG (skips cleanly without one)."""
    _install_components(session)
    session.run("python", "operator/tools/e2e.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Throughput and latency of the proxy beside a bare grpc.aio server (figures only, never asserted)."""
    _install_components(session)
    session.run("python", "bench/run.py", *session.posargs)
