"""Start and stop the Rasa server and the action server as child processes.

Used by ``python -m bot.serve`` (the README's run command), the integration tests and the benchmark,
so all three run the assistant exactly the same way.
"""
from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.analytics.metrics_dir import MULTIPROC_ENV, fresh_metrics_dir
from bot.child_server import (
    ChildServer,
    ServerSpec,
    http_ok,  # noqa: F401 - re-exported for bot.rasa_runtime and bench
    stop_all,
)
from bot.endpoints import DEFAULT_QUEUE, effective_workers, endpoints, requested_workers, setting, write_private_yaml
from bot.ports import check_ports_free
from bot.privacy.files import private_directory, private_file

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def webchat_cors() -> str:
    """Rasa's ``--cors``: the web chat origins (``WEBCHAT_ORIGINS``, default the local demo page), the same
    list the socket.io channel accepts. Imported lazily: ``bot.channels`` loads Rasa."""
    from bot.channels.socketio import cors_pattern, webchat_origins

    return cors_pattern(webchat_origins())


@dataclass
class ServerConfig:
    """Where and how the two servers run.

    Embedded by default (SQLite files under ``var/``, in-memory lock store, one Rasa worker); the production
    profile's services come from ``DATABASE_URL``, ``REDIS_URL`` (with ``RASA_WORKERS``) and ``RABBITMQ_URL``
    (see :mod:`bot.endpoints`). ``TICKETS_DB_URL`` still overrides where tickets go. Without RabbitMQ, Rasa's
    SQL event broker writes the analytics store: ``ANALYTICS_DB_URL``, else ``analytics_db`` (by default
    ``analytics.db`` next to the logs, so ``--var-dir`` moves it with the tracker store).
    """

    model: Path = ROOT / "models" / "kripto-cs.tar.gz"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    tracker_db: Path = ROOT / "var" / "tracker.db"
    analytics_db: Optional[Path] = None   # SQLite analytics store; None: <log_dir>/analytics.db
    analytics_db_url: str = field(default_factory=lambda: setting("ANALYTICS_DB_URL"))   # "": analytics_db
    tickets_db_url: str = field(default_factory=lambda: setting("TICKETS_DB_URL"))   # "": DATABASE_URL or SQLite
    database_url: str = field(default_factory=lambda: setting("DATABASE_URL"))   # PostgreSQL: tracker + tickets
    redis_url: str = field(default_factory=lambda: setting("REDIS_URL"))   # Rasa's lock store
    rabbitmq_url: str = field(default_factory=lambda: setting("RABBITMQ_URL"))   # Rasa's event broker
    rabbitmq_queue: str = field(default_factory=lambda: setting("RABBITMQ_QUEUE", DEFAULT_QUEUE))
    workers: int = field(default_factory=requested_workers)   # Rasa's Sanic workers (more need REDIS_URL)
    notifiers_config: Path = field(default_factory=lambda: Path(os.environ.get("NOTIFIERS_CONFIG")
                                                                 or ROOT / "notifiers.yml"))
    desks_config: Path = field(default_factory=lambda: Path(os.environ.get("DESKS_CONFIG") or ROOT / "desks.yml"))
    log_dir: Path = ROOT / "var"
    credentials: Path = ROOT / "credentials.yml"
    cors: str = field(default_factory=webchat_cors)   # the web chat origins, not "*"
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_env: Dict[str, str] = field(default_factory=dict)   # e.g. channel credentials for tests

    def __post_init__(self) -> None:
        self.tickets_db_url = self.tickets_db_url or self.database_url or f"sqlite:///{ROOT / 'var' / 'tickets.db'}"
        self.workers = effective_workers(self.workers, self.redis_url)
        self.analytics_db = self.analytics_db or self.log_dir / "analytics.db"

    def profile_env(self) -> Dict[str, str]:
        """What both servers read of the production profile, set explicitly so the shell's values cannot leak
        into a run configured otherwise: ``DATABASE_URL`` (channel state, leases) and ``SANIC_WORKERS``."""
        return {"DATABASE_URL": self.database_url, "SANIC_WORKERS": str(self.workers)}

    @property
    def analytics_url(self) -> str:
        """The analytics database: ``ANALYTICS_DB_URL``, else the SQLite file ``analytics_db``."""
        return self.analytics_db_url or f"sqlite:///{self.analytics_db}"

    @property
    def metrics_dir(self) -> Path:
        """This run's Prometheus multiprocess folder (``PROMETHEUS_MULTIPROC_DIR``, see bot.analytics.metrics_dir)."""
        return self.log_dir / f"metrics-{self.rasa_port}"

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
    """Write the endpoints file of this run (readable by this user only: it may hold passwords): the local
    action server; the tracker store (SQLite file, or PostgreSQL with ``DATABASE_URL``, whose ``events``
    table gets its ``sender_id`` index when it lacks one); a Redis lock store with ``REDIS_URL``; the event
    broker: RabbitMQ with ``RABBITMQ_URL``, else Rasa's SQL broker on the analytics database (prepared here)."""
    private_directory(config.log_dir)   # logs, endpoints, token and SQLite stores: this user's only (0700)
    if config.database_url:
        prepare_tracker_database(config.database_url)
    else:
        private_file(config.tracker_db)   # Rasa opens the empty 0600 file as a new database
    content = endpoints(f"{config.action_url}/webhook", config.tracker_db, config.database_url, config.redis_url,
                        config.rabbitmq_url, config.rabbitmq_queue, config.analytics_url)
    if not config.rabbitmq_url:
        prepare_analytics_database(config.analytics_url)
    return write_private_yaml(config.log_dir / f"endpoints-{config.rasa_port}.yml", content)


def prepare_tracker_database(database_url: str) -> None:
    """Index ``events.sender_id`` when an existing tracker table lacks it; a database that is not reachable
    yet is left to Rasa, which waits for it."""
    from bot.tracker_db import ensure_sender_index

    try:
        ensure_sender_index(database_url)
    except Exception as error:  # noqa: BLE001 - Rasa retries the connection itself; the index can wait
        logger.warning("tracker database not prepared (%s: %s); Rasa will connect when it is up",
                       type(error).__name__, error)


def prepare_analytics_database(analytics_url: str) -> None:
    """Create the analytics database and its ``events`` table before Rasa's SQL broker opens it, so the table
    has the digest column and a SQLite file is in WAL mode (one sync per event, readers never block Rasa). A
    PostgreSQL database that is not reachable yet is left to Rasa, which reports it."""
    from bot.analytics.events import open_store

    try:
        open_store(analytics_url).dispose()
    except Exception as error:  # noqa: BLE001 - Rasa's broker tries itself and says why it cannot connect
        logger.warning("analytics database not prepared (%s: %s)", type(error).__name__, str(error).splitlines()[0])


class AssistantServers:
    """Context manager running the action server and the Rasa server until stopped."""

    def __init__(self, config: Optional[ServerConfig] = None) -> None:
        self.config = config or ServerConfig()
        self.children: List[ChildServer] = []   # action server first, then Rasa; filled by prepare()

    def prepare(self) -> List[ChildServer]:
        """Check the model and that both ports are free (``PortInUseError`` otherwise), write the endpoints
        file; return both servers, not started yet (``python -m bot.serve`` hands them to its supervisor)."""
        config = self.config
        if not config.model.exists():
            raise FileNotFoundError(f"{config.model} not found: run `make train` first")
        check_ports_free(config.host, {"Rasa": config.rasa_port, "action": config.action_port})
        endpoints = write_endpoints(config)
        fresh_metrics_dir(config.metrics_dir)   # emptied once per run; a restarted server keeps adding to it
        self.children = [ChildServer(self.server_spec(kind, endpoints)) for kind in ("actions", "rasa")]
        return self.children

    def server_spec(self, kind: str, endpoints: Path) -> ServerSpec:
        """How to run one server: ``kind`` is ``"actions"`` (rasa_sdk) or ``"rasa"``."""
        config, python = self.config, str(BIN / "python")
        if kind == "actions":
            name, health = "action server", f"{config.action_url}/health"
            command = [python, "-m", "rasa_sdk", "--actions", "actions.actions", "--port", str(config.action_port)]
        elif kind == "rasa":
            name, health = "Rasa server", f"{config.rasa_url}/webhooks/rest/"
            command = [python, "-m", "bot.rasa_runtime", "run", "--model", str(config.model), "--enable-api",
                       f"--auth-token={config.api_token}", "--interface", config.host,
                       "--port", str(config.rasa_port), "--credentials", str(config.credentials),
                       "--endpoints", str(endpoints), "--cors", config.cors]
        else:
            raise ValueError(f"unknown server {kind!r}")
        return ServerSpec(name=name, command=command, health_url=health, cwd=ROOT, env=self.server_env(),
                          log_path=config.log_dir / f"{kind}-{config.rasa_port}.log")

    def server_env(self) -> Dict[str, str]:
        """The environment of both servers: ``child_env()`` plus this configuration's stores and desks."""
        env = child_env()
        env.update({"TICKETS_DB_URL": self.config.tickets_db_url, "NOTIFIERS_CONFIG": str(self.config.notifiers_config),
                    "DESKS_CONFIG": str(self.config.desks_config)})
        env["SANIC_HOST"] = self.config.host   # rasa_sdk binds the action server to this interface
        env[MULTIPROC_ENV] = str(self.config.metrics_dir)   # counters of every worker, summed by /metrics
        env.update(self.config.profile_env())
        env["ANALYTICS_DB_URL"] = self.config.analytics_url   # where this run's analytics are (reports)
        env.update(self.config.extra_env)
        return env

    def start(self, timeout: float = 180.0) -> "AssistantServers":
        """Start both servers and wait until they answer HTTP requests."""
        for child in self.prepare():
            child.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Block until both servers are healthy; raise with the log tail if one dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in self.children:
                if child.exit_status() is not None:
                    self.stop()
                    raise RuntimeError(f"a server exited early; see logs in {self.config.log_dir}")
            if all(child.healthy() for child in self.children):
                return
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"servers not ready after {timeout:.0f}s; see logs in {self.config.log_dir}")

    @property
    def pids(self) -> List[int]:
        """Process ids of the running servers (action server first)."""
        return [child.pid for child in self.children if child.pid is not None]

    def stop(self) -> None:
        """Stop both servers (SIGTERM to their process groups, then SIGKILL after 10 s)."""
        stop_all(self.children, grace=10.0)
        self.children = []

    def __enter__(self) -> "AssistantServers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
