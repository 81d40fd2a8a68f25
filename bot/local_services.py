"""Throwaway PostgreSQL and Redis servers on loopback, in a temporary folder, for the cluster harness
(``python -m bot.cluster --private-services``), the chaos tests and the cluster benchmark.

They are real servers (Debian's ``postgresql`` and ``redis-server`` binaries) that can be stopped hard and
started again on the same port with the same data, which is what the chaos tests need; the machine's
shared services are never touched. As root, PostgreSQL runs as the ``postgres`` user (``initdb`` refuses
root) with its data folder owned by that user.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional


def wait_for_port(port: int, up: bool, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    """Block until ``host:port`` accepts connections (``up``) or refuses them; TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                accepting = True
        except OSError:
            accepting = False
        if accepting == up:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{host}:{port} still {'closed' if up else 'open'} after {timeout:.0f} s")


def postgres_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` (Debian), else the folder of ``pg_ctl`` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise FileNotFoundError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    return Path(pg_ctl).parent


class PrivatePostgres:
    """A PostgreSQL cluster of its own (trust authentication, user ``postgres``) on ``127.0.0.1:port``."""

    def __init__(self, port: int, folder: Optional[Path] = None) -> None:
        self.port = port
        self.folder = Path(folder or tempfile.mkdtemp(prefix=f"pg-{port}-"))
        self.data = self.folder / "data"
        self.bin = postgres_bin_dir()
        self._as_postgres: List[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        """Run a PostgreSQL tool (as ``postgres`` when we are root); RuntimeError with its output if it fails."""
        done = subprocess.run([*self._as_postgres, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            hint = (" (as root the folder's parents must be searchable by the postgres user; a pytest tmp_path "
                    "is not)" if self._as_postgres else "")
            raise RuntimeError(f"{Path(command[0]).name} failed with status {done.returncode}{hint}: "
                               f"{(done.stderr or done.stdout).strip()[-800:]}; "
                               f"server log: {self.folder / 'server.log'}")

    def start(self) -> "PrivatePostgres":
        """Create the cluster on first use, then start the server and wait until it accepts connections."""
        if not self.data.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._as_postgres:
                shutil.chown(self.folder, "postgres", "postgres")
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "--no-sync", "-E", "UTF8")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        wait_for_port(self.port, up=True)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: smart, fast, or immediate — like a crash, recovered from the WAL)."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        """Create database ``name`` (if missing); return its URL."""
        import psycopg2

        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """A ``redis-server`` of its own on ``127.0.0.1:port``, without persistence."""

    def __init__(self, port: int, folder: Optional[Path] = None) -> None:
        self.port = port
        self.folder = Path(folder or tempfile.mkdtemp(prefix=f"redis-{port}-"))
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "PrivateRedis":
        """Start the server (unless it runs) and wait until it accepts connections."""
        if self.running:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [redis_server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, up=True)
        return self

    def stop(self, hard: bool = False) -> None:
        """Stop the server (SIGKILL when ``hard``) and wait until its port is closed."""
        if self.running:
            assert self.process is not None   # running says so
            self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None
        wait_for_port(self.port, up=False)

    def remove(self) -> None:
        try:
            self.stop(hard=True)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
