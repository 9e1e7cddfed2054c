"""Real PostgreSQL and Redis servers for the database integration tests.

Each server is started by the tests themselves from the machine's binaries (Debian's
``postgresql-NN`` and ``redis-server`` packages), listening on a free port of 127.0.0.1 only,
with its files in a temporary folder removed afterwards. The binaries are looked up as:

* PostgreSQL: ``initdb``, ``postgres`` and ``pg_isready`` from the newest
  ``/usr/lib/postgresql/<version>/bin`` (Debian's layout), else from ``PATH``;
* Redis: ``redis-server`` on ``PATH``, else ``/usr/bin`` or ``/usr/sbin``.

PostgreSQL refuses to run as root, so when the tests run as root (a CI machine) both servers
run as the unprivileged user ``nobody`` and their folder belongs to it. A missing binary
fails the test with a clear message when the environment says ``CI=true`` (the CI machine
must have them) and skips it elsewhere.

The fixtures are session-scoped: import them into the one test module that uses each server
(``from ._servers import postgres_server``), so that a server starts once per run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, NoReturn, Optional

import pytest

__all__ = [
    "PostgresServer",
    "RedisServer",
    "find_postgres_bin",
    "find_redis_server",
    "postgres_server",
    "redis_server",
]

#: Seconds a server may take to accept connections before the fixture gives up.
START_TIMEOUT = 30.0
#: The database the PostgreSQL fixture creates for the tests (not the default one).
TEST_DATABASE = "traced_test"


@dataclass(frozen=True)
class PostgresServer:
    """Where the test PostgreSQL listens, and who to connect as (trust authentication)."""

    host: str
    port: int
    user: str
    dbname: str

    @property
    def dsn(self) -> str:
        """A libpq connection string for the test database."""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"


@dataclass(frozen=True)
class RedisServer:
    """Where the test Redis listens."""

    host: str
    port: int


def find_postgres_bin() -> Optional[Path]:
    """The folder holding ``initdb``, ``postgres`` and ``pg_isready``, or None."""
    needed = ("initdb", "postgres", "pg_isready")

    def version(folder: str) -> float:
        try:
            return float(Path(folder).parent.name)
        except ValueError:
            return 0.0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if all(os.access(os.path.join(folder, name), os.X_OK) for name in needed):
            return Path(folder)
    return None


def find_redis_server() -> Optional[str]:
    """The ``redis-server`` executable, or None."""
    found = shutil.which("redis-server")
    if found:
        return found
    for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if os.access(path, os.X_OK):
            return path
    return None


def _missing(what: str) -> NoReturn:
    """Fail on CI (where the server must be there), skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: the CI machine must install it)", pytrace=False)
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Sandbox:
    """A temporary folder and the user the server processes run as: ``nobody`` when we are
    root (PostgreSQL will not run as root), else ourselves."""

    def __init__(self, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self.run_as: Dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                nobody = pwd.getpwnam("nobody")
            except KeyError:
                shutil.rmtree(self.path, ignore_errors=True)
                _missing("running as root and there is no user 'nobody' to run the server as")
            os.chown(self.path, nobody.pw_uid, nobody.pw_gid)
            self.run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def env(self) -> Dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.path),
                "LC_ALL": "C", "LANG": "C"}

    def run(self, args: List[str], log: str) -> None:
        """Run a command to its end as the server user; fail the test with its output."""
        proc = subprocess.run(args, cwd=self.path, env=self.env(), capture_output=True,
                              text=True, timeout=120, **self.run_as)
        if proc.returncode != 0:
            pytest.fail(f"{log} failed ({proc.returncode}): {proc.stdout}{proc.stderr}",
                        pytrace=False)

    def start(self, args: List[str], log_name: str) -> "subprocess.Popen[bytes]":
        """Start a long-running server as the server user, its output to a log file."""
        with open(self.path / log_name, "ab") as log:
            return subprocess.Popen(args, cwd=self.path, env=self.env(), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    **self.run_as)

    def log_tail(self, log_name: str) -> str:
        try:
            return (self.path / log_name).read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _stop(proc: "subprocess.Popen[bytes]", sig: int) -> None:
    """Ask the server to stop with ``sig``; kill it if it has not within 15 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _wait_until(ready: Any, proc: "subprocess.Popen[bytes]") -> bool:
    """Poll ``ready()`` until it is true (True) or the server exits or times out (False)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session: a fresh cluster (superuser ``postgres``, trust
    authentication, no fsync) on 127.0.0.1, with the empty database ``traced_test``."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        _missing("PostgreSQL not found (initdb/postgres/pg_isready in "
                 "/usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql")
    box = _Sandbox("traced-pg-")
    data = box.path / "data"
    try:
        box.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], "initdb")
        for _attempt in range(3):  # a free port can be taken before the server binds it
            port = _free_port()
            proc = box.start([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                              "-p", str(port), "-k", "", "-F", "-c", "max_connections=30",
                              "-c", "shared_buffers=16MB"], "postgres.log")

            def ready() -> bool:
                return subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1",
                                       "-p", str(port), "-U", "postgres"],
                                      env=box.env(), timeout=10).returncode == 0

            if _wait_until(ready, proc):
                break
            _stop(proc, signal.SIGINT)
        else:
            pytest.fail("PostgreSQL did not start: " + box.log_tail("postgres.log"),
                        pytrace=False)
        try:
            createdb = bin_dir / "createdb"
            box.run([str(createdb) if createdb.exists() else "createdb", "-h", "127.0.0.1",
                     "-p", str(port), "-U", "postgres", TEST_DATABASE], "createdb")
            yield PostgresServer("127.0.0.1", port, "postgres", TEST_DATABASE)
        finally:
            _stop(proc, signal.SIGINT)  # "fast" shutdown: does not wait for clients
    finally:
        box.remove()


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the session on 127.0.0.1, persisting nothing."""
    executable = find_redis_server()
    if executable is None:
        _missing("redis-server not found on PATH or in /usr/bin, /usr/sbin: "
                 "apt-get install redis-server")
    box = _Sandbox("traced-redis-")
    try:
        for _attempt in range(3):
            port = _free_port()
            proc = box.start([executable, "--bind", "127.0.0.1", "--port", str(port),
                              "--save", "", "--appendonly", "no", "--dir", str(box.path),
                              "--daemonize", "no", "--protected-mode", "no"], "redis.log")
            if _wait_until(lambda: _redis_pings(port), proc):
                break
            _stop(proc, signal.SIGTERM)
        else:
            pytest.fail("redis-server did not start: " + box.log_tail("redis.log"),
                        pytrace=False)
        try:
            yield RedisServer("127.0.0.1", port)
        finally:
            _stop(proc, signal.SIGTERM)
    finally:
        box.remove()
