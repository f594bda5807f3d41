"""Test databases on either backend: SQLite files or a throwaway PostgreSQL cluster.

The suite runs once per backend (`make test` runs both; `MATCHMAKER_TEST_DB=postgres` or
`pytest --db=postgres` picks PostgreSQL). Each kind of database ("reference", "demo") is migrated
and seeded once per test session as a template; a test gets its own copy: a file copy on SQLite,
`CREATE DATABASE … TEMPLATE …` on PostgreSQL.

The cluster is made with Debian's server binaries, listens on a Unix socket only (no port, so
parallel test workers each run their own), and is stopped and deleted at the end of the session.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import signal
import socket as sockets
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.orm import Session, close_all_sessions
from werkzeug.security import generate_password_hash

from matchmaker.db import make_engine
from matchmaker.migrate import upgrade_database
from seed import load_demo, load_demo_projects, load_reference

BACKENDS = ("sqlite", "postgres")
# Tests do not need a strong KDF cost; production uses Werkzeug's scrypt default.
FAST_HASH = "pbkdf2:sha256:1000"


def fast_hash(password: str) -> str:
    return generate_password_hash(password, method=FAST_HASH)


def seed(session: Session, kind: str) -> None:
    """What each kind of template database holds."""
    load_reference(session)
    if kind == "demo":
        load_demo(session, hash_password=fast_hash)
        load_demo_projects(session)
    elif kind != "reference":
        raise ValueError(f"unknown database kind {kind!r}")


def build(url: str, kind: str) -> None:
    engine = make_engine(url)
    try:
        upgrade_database(engine)
        with Session(engine) as session:
            seed(session, kind)
            session.commit()
    finally:
        engine.dispose()


# Every PostgreSQL engine the tests create (a second app made inside a test has its own engine),
# held until its database is dropped: an engine collected with connections open would leave
# them to the garbage collector, as a ResourceWarning in some later test.
_engines: set[Engine] = set()


@event.listens_for(Engine, "engine_connect")
def _remember(connection: Connection) -> None:
    engine = connection.engine
    if engine.url.get_backend_name() == "postgresql":
        _engines.add(getattr(engine, "_proxied", engine))


def release_connections(database: str) -> None:
    close_all_sessions()
    for engine in [e for e in _engines if e.url.database == database]:
        engine.dispose()
        _engines.discard(engine)


# -- SQLite -------------------------------------------------------------------------------
class SqliteDatabases:
    backend = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._templates: dict[str, Path] = {}

    def template(self, kind: str) -> Path:
        if kind not in self._templates:
            path = self.root / f"template-{kind}.sqlite3"
            build(f"sqlite:///{path}", kind)
            self._templates[kind] = path
        return self._templates[kind]

    def create(self, kind: str, directory: Path) -> str:
        database = directory / f"{kind}-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copy(self.template(kind), database)
        return f"sqlite:///{database}"

    def drop(self, url: str) -> None:
        """The file lives under the test's temporary directory, which pytest cleans."""


# -- PostgreSQL ---------------------------------------------------------------------------
def postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI and this machine run tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str]) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


CLUSTER_PREFIX = "matchmaker-pg-"
OWNER_FILE = "owner.pid"


def _read_pid(path: Path) -> int | None:
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isascii() and first.isdigit() else None


def _owner_holds(owner_file: Path) -> bool | None:
    """Whether the run that made a cluster still holds its owner file's lock (None: no owner file).
    A lock, not a pid: /dev/shm may be shared with runs in another PID namespace, whose pids mean
    nothing here, but whose locks are the same kernel objects."""
    try:
        handle = owner_file.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def _answering(socket_directory: Path) -> bool:
    # Through the directory's descriptor: a Unix socket path is limited to 108 bytes, and a
    # cluster made under a long temporary directory would otherwise never seem to answer.
    try:
        directory = os.open(socket_directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        with sockets.socket(sockets.AF_UNIX) as connection:
            connection.settimeout(1)
            try:
                connection.connect(f"/proc/self/fd/{directory}/.s.PGSQL.5432")
            except OSError:
                return False
        return True
    finally:
        os.close(directory)


def _serves(pid: int | None, data: Path) -> bool:
    """Whether `pid` is, in this PID namespace, a server running in `data` (its working directory):
    never signal a pid read from a file that another namespace wrote."""
    if pid is None:
        return False
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).resolve() == data.resolve()
    except OSError:
        return False


def _stop_server(binaries: Path, root: Path) -> bool:
    try:
        result = subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(root / "data"), "-m",
                                                 "immediate", "stop"]), capture_output=True, check=False)
    except OSError:
        return False
    return result.returncode == 0


def reap_abandoned_clusters(binaries: Path, parent: Path, *, grace: float = 600,
                            stop: Callable[[Path], bool] | None = None) -> list[Path]:
    """Stop and delete the clusters of test runs that were killed before they could clean up.

    A run killed with SIGKILL (an out-of-memory kill, a CI runner ending a job) cannot run its
    `finally`: its cluster stays in /dev/shm, which is memory, and every later run on the machine
    starts with that much less (one CI run failed that way). A run holds a lock on its cluster's
    owner file for as long as it lives; a cluster whose lock nobody holds is abandoned:
    - its server, when still running here (its working directory is the cluster's), is stopped
      first, and the cluster is kept if that fails;
    - a server that answers but does not run here (another PID namespace) is left alone;
    - without an owner file (a run older than owner files), a cluster is deleted only when
      nothing answers on its socket and nothing was written to it for `grace` seconds.
    """
    stop = stop or (lambda root: _stop_server(binaries, root))
    reaped = []
    for root in parent.glob(f"{CLUSTER_PREFIX}*"):
        held = _owner_holds(root / OWNER_FILE)
        if held:
            continue
        answering = _answering(root / "socket")
        if held is None:
            written = max((path.stat().st_mtime for path in (root, root / "log") if path.exists()), default=0.0)
            if answering or time.time() - written < grace:
                continue
        elif answering and (not _serves(_read_pid(root / "data" / "postmaster.pid"), root / "data")
                            or not stop(root)):
            continue  # a server running elsewhere, or one that would not stop: keep its files
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


@contextmanager
def postgres_cluster(binaries: Path) -> Iterator[Path]:
    """Start a cluster, yield its socket directory, stop and delete it whatever happens."""
    # Not under pytest's temporary directory: that is private to root, and the server runs as postgres.
    # In memory when possible: a session writes and deletes hundreds of databases, and on a busy
    # disk removing the cluster alone took minutes.
    shared_memory = Path("/dev/shm")
    parent = shared_memory if shared_memory.is_dir() and os.access(shared_memory, os.W_OK) else None
    reap_abandoned_clusters(binaries, Path(parent or tempfile.gettempdir()))
    root = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX, dir=parent))
    # Held until this run ends, however it ends: the kernel drops the lock when the process dies.
    owner = (root / OWNER_FILE).open("wb")
    fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
    owner.write(str(os.getpid()).encode())
    owner.flush()
    data, socket = root / "data", root / "socket"
    socket.mkdir()
    if os.geteuid() == 0:
        for path in (root, socket):
            shutil.chown(path, "postgres")
    # A test run stopped with SIGTERM (a CI timeout, `kill`) still stops its cluster.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"])
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
              (f"-c listen_addresses='' -k {socket} -c fsync=off -c full_page_writes=off"
               " -c synchronous_commit=off -c max_connections=200 -c wal_level=minimal -c max_wal_senders=0"
               " -c max_wal_size=64MB -c min_wal_size=32MB"), "start"])
        yield socket
    finally:
        subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, check=False)  # nothing to do if it is not running
        shutil.rmtree(root, ignore_errors=True)
        owner.close()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def postgres_url(socket: Path, database: str) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={socket}"


def postgres_admin(socket: Path, statement: str) -> None:
    import psycopg

    with psycopg.connect(host=str(socket), user="postgres", dbname="postgres", autocommit=True) as connection:
        connection.execute(statement)


class PostgresDatabases:
    backend = "postgres"
    # Per cluster and kind, shared by every instance: one cluster serves the whole session.
    _templates: ClassVar[dict[tuple[Path, str], str]] = {}

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def template(self, kind: str) -> str:
        key = (self.socket, kind)
        if key not in self._templates:
            name = f"template_{kind}"
            postgres_admin(self.socket, f"CREATE DATABASE {name}")
            build(postgres_url(self.socket, name), kind)
            self._templates[key] = name
        return self._templates[key]

    def create(self, kind: str, directory: Path | None = None) -> str:
        name = f"{kind}_{uuid.uuid4().hex[:12]}"
        postgres_admin(self.socket, f"CREATE DATABASE {name} TEMPLATE {self.template(kind)} STRATEGY = FILE_COPY")
        return postgres_url(self.socket, name)

    def create_empty(self) -> str:
        name = f"empty_{uuid.uuid4().hex[:12]}"
        postgres_admin(self.socket, f"CREATE DATABASE {name}")
        return postgres_url(self.socket, name)

    def drop(self, url: str) -> None:
        # The socket directory in the query string has slashes too: take the name from the URL's parts.
        name = make_url(url).database
        if not name:
            raise ValueError(f"no database name in {url!r}")
        release_connections(name)
        postgres_admin(self.socket, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


Databases = SqliteDatabases | PostgresDatabases
