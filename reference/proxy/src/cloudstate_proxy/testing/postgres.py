"""A throwaway PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a temporary directory.

The server listens on a free loopback port, trusts every local connection
(superuser ``postgres``, no password) and lives until :meth:`TemporaryPostgres.cleanup`
(or the end of the ``with`` block, or interpreter exit). :meth:`~TemporaryPostgres.stop`
and :meth:`~TemporaryPostgres.start` take it down and bring it back on the same
port with the same data, which is how outage tests simulate a database failure.

PostgreSQL refuses to run as root, so when the tests run as root the server
runs as a system user (``cloudstate-test``, created with ``useradd`` when it
does not exist yet). ``fsync`` is off for speed: that only matters when the
machine itself crashes, which no test simulates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

#: Where Debian and Ubuntu install each PostgreSQL major version's server binaries.
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
SERVER_USER = "cloudstate-test"


class PostgresNotInstalled(RuntimeError):
    """The PostgreSQL server binaries (``initdb``, ``pg_ctl``) are not on this machine."""


def find_bindir(candidates: list[str] | None = None) -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``.

    Looked up in order: ``$CLOUDSTATE_PG_BINDIR``, ``pg_config --bindir``, the
    directory of ``initdb`` on ``PATH``, then the newest ``/usr/lib/postgresql/*/bin``.
    ``candidates`` replaces that list (for tests).
    """
    if candidates is None:
        candidates = _default_candidates()
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresNotInstalled(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found; on Debian or Ubuntu install them with "
        "`apt-get install postgresql`, or point CLOUDSTATE_PG_BINDIR at the directory that holds them"
    )


def _default_candidates() -> list[str]:
    candidates = [os.environ.get("CLOUDSTATE_PG_BINDIR", "")]
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            candidates.append(
                subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            )
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).resolve().parent))
    # Newest major version first (numeric, so 15 sorts after 9.6).
    candidates += sorted(glob.glob(DEBIAN_BINDIRS), key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    return [c for c in candidates if c]


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None for the current one, a system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pass
    # Another test process may create the user at the same moment; look it up again either way.
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
        capture_output=True,
        check=False,
    )
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(f"running as root and could not create the system user {SERVER_USER!r}") from None


class TemporaryPostgres:
    """A PostgreSQL server in a temporary directory; started on construction."""

    def __init__(self, bindir: Path | None = None) -> None:
        self._bindir = bindir or find_bindir()
        self._account = _server_account()
        self._root = Path(tempfile.mkdtemp(prefix="cloudstate-pg-"))
        self._finalizer = weakref.finalize(self, _remove, self._bindir, self._root)
        self.port = free_port()
        if self._account is not None:
            os.chown(self._root, self._account.pw_uid, self._account.pw_gid)
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N")
        self.start()

    @property
    def _data(self) -> Path:
        return self._root / "data"

    @property
    def dsn(self) -> str:
        """Connection string of the ``postgres`` database as superuser ``postgres``."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database (copied from ``template0``, so without leftovers) and return its DSN."""
        self._client("createdb", "--template=template0", name)
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever still uses it."""
        self._client("dropdb", "--force", "--if-exists", name)

    @property
    def running(self) -> bool:
        return _execute(self._account, [str(self._bindir / "pg_ctl"), "status", "-D", str(self._data)]).returncode == 0

    def start(self) -> None:
        """Start the server (unless it runs) on the same port with the same data; waits until it takes connections."""
        if self.running:
            return
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={shlex.quote(str(self._root))}",
                "-c fsync=off",
                "-c full_page_writes=off",
            ]
        )
        log = self._root / "postgres.log"
        try:
            self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self._data), "-l", str(log), "-o", options)
        except RuntimeError as error:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{error}\n--- server log ---\n{tail}") from None

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """Stop the server; ``immediate`` kills it without a clean shutdown, like a crash."""
        self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self._data))

    def cleanup(self) -> None:
        """Stop the server if it runs and delete its directory."""
        self._finalizer()

    def __enter__(self) -> TemporaryPostgres:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    def _run(self, program: str, *args: str) -> None:
        _run_as(self._account, [str(self._bindir / program), *args])

    def _client(self, program: str, *args: str) -> None:
        _run_as(None, [str(self._bindir / program), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args])


def _run_as(account: pwd.struct_passwd | None, command: list[str]) -> None:
    result = _execute(account, command)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({result.returncode}): {result.stderr.strip()}")


def _execute(account: pwd.struct_passwd | None, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program as ``account`` (pg_ctl and initdb refuse to run as root).

    ``runuser`` switches the user when it is there, rather than subprocess's ``user=`` and ``group=``: those
    make Python fork the whole calling process, and the child of a process with gRPC threads can crash
    before it gets to exec (seen as pg_ctl "failing" with SIGSEGV in tests that run a proxy in-process).
    """
    switch: dict[str, Any] = {}
    if account is not None and (runuser := shutil.which("runuser")):
        command = [runuser, "-u", account.pw_name, "--", *command]
    elif account is not None:
        switch = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, **switch)


def _remove(bindir: Path, root: Path) -> None:
    data = root / "data"
    if (data / "postmaster.pid").exists():
        with contextlib.suppress(RuntimeError, OSError):
            _run_as(_server_account(), [str(bindir / "pg_ctl"), "stop", "-w", "-m", "immediate", "-D", str(data)])
    shutil.rmtree(root, ignore_errors=True)
