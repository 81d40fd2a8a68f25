"""One server run as a child process: start (and start again), ask whether it is healthy, stop it.

Each server runs in its own process group (session), so stopping it also stops anything it spawned and
Ctrl-C in the terminal reaches only the parent, which then stops its children in order.
"""
from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional


def http_ok(url: str) -> bool:
    """True when a GET of ``url`` answers 200 within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
            return reply.status == 200
    except OSError:
        return False


def describe_exit(status: int) -> str:
    """An exit status for people: ``3``, ``-9 (SIGKILL)`` (negative = killed by that signal)."""
    if status < 0:
        try:
            return f"{status} ({signal.Signals(-status).name})"
        except ValueError:
            return str(status)
    return str(status)


@dataclass
class ServerSpec:
    """How to run one server."""

    name: str                 # for people: "action server", "Rasa server"
    command: List[str]
    health_url: str           # answers 200 once the server is ready
    log_path: Path            # stdout and stderr of every run, one after the other
    cwd: Path
    env: Dict[str, str] = field(default_factory=dict)   # the complete environment of the child


class ChildServer:
    """A server process that can be started again after it exits."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.process: Optional[subprocess.Popen] = None
        self._log: Optional[IO[bytes]] = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> Optional[int]:
        """Process id of the current run (None before the first start)."""
        return self.process.pid if self.process else None

    def start(self, note: str = "") -> subprocess.Popen:
        """Spawn the server (again). The first run truncates the log; later runs append after ``note``."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is still running (pid {self.process.pid})")
        if self._log is None:
            self.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.spec.log_path, "wb")  # noqa: SIM115 - closed in close()
        if note:
            self._log.write(f"\n--- {note} ---\n".encode())
            self._log.flush()
        self.process = subprocess.Popen(self.spec.command, cwd=self.spec.cwd, env=self.spec.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self.process

    def exit_status(self) -> Optional[int]:
        """The exit status of the current run, None while it runs (or was never started)."""
        return self.process.poll() if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        """Our process is alive and answers its health URL. Something else answering on the port does not count."""
        return self.running() and http_ok(self.spec.health_url) and self.running()

    def terminate(self) -> None:
        """Ask the server's process group to stop (SIGTERM); does not wait."""
        if self.running():
            self._signal_group(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the server's process group at once (SIGKILL); does not wait."""
        if self.running():
            self._signal_group(signal.SIGKILL)

    def wait_stopped(self, grace: float = 10.0) -> None:
        """Wait for the server to exit; SIGKILL its process group after ``grace`` seconds."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()

    def close(self) -> None:
        """Close the log file (after the server stopped)."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def _signal_group(self, signum: signal.Signals) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:   # exited (and its group is empty) between the check and the signal
            pass


def stop_all(servers: List[ChildServer], grace: float = 10.0) -> None:
    """Stop every server: SIGTERM to all first, then wait for each (SIGKILL after ``grace`` seconds)."""
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait_stopped(grace)
        server.close()
