"""Start and stop the Rasa server and the action server as child processes.

Used by ``python -m bot.serve`` (the README's run command), the integration tests and the benchmark,
so all three run the assistant exactly the same way.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def webchat_cors() -> str:
    """Rasa's ``--cors``: the web chat origins (``WEBCHAT_ORIGINS``, default the local demo page), the same
    list the socket.io channel accepts. Imported lazily: ``bot.channels`` loads Rasa."""
    from bot.channels.socketio import cors_pattern, webchat_origins

    return cors_pattern(webchat_origins())


@dataclass
class ServerConfig:
    """Where and how the two servers run."""

    model: Path = ROOT / "models" / "kripto-cs.tar.gz"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    tracker_db: Path = ROOT / "var" / "tracker.db"
    tickets_db_url: str = field(default_factory=lambda: os.environ.get("TICKETS_DB_URL")
                                or f"sqlite:///{ROOT / 'var' / 'tickets.db'}")
    notifiers_config: Path = field(default_factory=lambda: Path(os.environ.get("NOTIFIERS_CONFIG")
                                                                 or ROOT / "notifiers.yml"))
    desks_config: Path = field(default_factory=lambda: Path(os.environ.get("DESKS_CONFIG") or ROOT / "desks.yml"))
    log_dir: Path = ROOT / "var"
    credentials: Path = ROOT / "credentials.yml"
    cors: str = field(default_factory=webchat_cors)   # the web chat origins, not "*"
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_env: Dict[str, str] = field(default_factory=dict)   # e.g. channel credentials for tests

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"


def child_env() -> dict:
    """Environment for the servers: no telemetry, offline model hubs, project on the path."""
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONWARNINGS": env.get("PYTHONWARNINGS", "ignore")})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def write_endpoints(config: ServerConfig) -> Path:
    """Write an endpoints file for this run (SQLite tracker store, local action server)."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    config.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    path = config.log_dir / f"endpoints-{config.rasa_port}.yml"
    path.write_text(
        f'action_endpoint:\n  url: "{config.action_url}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{config.tracker_db}"\n',
        encoding="utf-8",
    )
    return path


def http_ok(url: str) -> bool:
    """True when a GET of ``url`` answers 200 within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
            return reply.status == 200
    except OSError:
        return False


class AssistantServers:
    """Context manager running the action server and the Rasa server until stopped."""

    def __init__(self, config: Optional[ServerConfig] = None) -> None:
        self.config = config or ServerConfig()
        self._processes: List[subprocess.Popen] = []
        self._logs: List[IO[bytes]] = []

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log = open(self.config.log_dir / f"{name}-{self.config.rasa_port}.log", "wb")  # noqa: SIM115
        self._logs.append(log)
        env = child_env()
        env.update({"TICKETS_DB_URL": self.config.tickets_db_url, "NOTIFIERS_CONFIG": str(self.config.notifiers_config),
                    "DESKS_CONFIG": str(self.config.desks_config)})
        env["SANIC_HOST"] = self.config.host   # rasa_sdk binds the action server to this interface
        env.update(self.config.extra_env)
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self._processes.append(process)
        return process

    def start(self, timeout: float = 180.0) -> "AssistantServers":
        """Start both servers and wait until they answer HTTP requests."""
        config = self.config
        if not config.model.exists():
            raise FileNotFoundError(f"{config.model} not found: run `make train` first")
        endpoints = write_endpoints(config)
        self._spawn("actions", [str(BIN / "python"), "-m", "rasa_sdk", "--actions", "actions.actions",
                                "--port", str(config.action_port)])
        self._spawn("rasa", [str(BIN / "python"), "-m", "bot.rasa_runtime", "run", "--model", str(config.model), "--enable-api",
                             f"--auth-token={config.api_token}", "--interface", config.host,
                             "--port", str(config.rasa_port), "--credentials", str(config.credentials),
                             "--endpoints", str(endpoints), "--cors", config.cors])
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Block until both servers are healthy; raise with the log tail if one dies or times out."""
        deadline = time.monotonic() + timeout
        checks = [f"{self.config.action_url}/health", f"{self.config.rasa_url}/webhooks/rest/"]
        while time.monotonic() < deadline:
            for process in self._processes:
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a server exited early; see logs in {self.config.log_dir}")
            if all(http_ok(url) for url in checks):
                return
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"servers not ready after {timeout:.0f}s; see logs in {self.config.log_dir}")

    @property
    def pids(self) -> List[int]:
        """Process ids of the running servers (action server first)."""
        return [p.pid for p in self._processes]

    def stop(self) -> None:
        """Stop both servers (SIGTERM, then SIGKILL after 10 s)."""
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> "AssistantServers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
