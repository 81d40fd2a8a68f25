"""``python -m bot.cluster --replicas 2``: the deployment's topology as processes on loopback.

Each replica is a Rasa server with its own action server (``AssistantServers``); HAProxy runs the
deployment's own configuration (deploy/haproxy.cfg, rendered by :mod:`bot.haproxy`) in front of them; one
:class:`bot.supervisor.Supervisor` restarts any of these processes that exits. The replicas share the
PostgreSQL tracker and ticket store (``DATABASE_URL``) and the Redis lock store (``REDIS_URL``);
``--private-services`` starts a throwaway PostgreSQL and Redis of its own instead. Used by the chaos tests
and ``bench/cluster_bench.py``.

Ports from ``--port`` P: HAProxy P, its statistics P+1, replica i's Rasa P+10*i and action server P+10*i+5.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import signal
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from bot.child_server import ChildServer, ServerSpec
from bot.haproxy import DEPLOYED_CONFIG, check_config, haproxy_command, render_loopback
from bot.servers import ROOT, AssistantServers, ServerConfig
from bot.supervisor import RestartPolicy, Supervisor

DEFAULT_PORT = 16480
MAX_REPLICAS = 8


def tensorflow_threads(processes: int, cores: Optional[int] = None) -> Dict[str, str]:
    """TensorFlow's thread settings (read by Rasa at start) giving each of ``processes`` Rasa processes its
    share of the cores: by default each would start one thread per core, and replicas sharing a machine then
    fight over every core. A value already in the environment (the operator's) is kept."""
    share = max(1, (cores or os.cpu_count() or 1) // max(1, processes))
    wanted = {"TF_INTRA_OP_PARALLELISM_THREADS": str(share), "TF_INTER_OP_PARALLELISM_THREADS": "1"}
    return {name: value for name, value in wanted.items() if not os.environ.get(name)}


@dataclass
class ClusterSettings:
    """What to run: how many replicas, where, on which shared stores."""

    replicas: int = 2
    port: int = DEFAULT_PORT
    database_url: Optional[str] = field(default_factory=lambda: os.environ.get("DATABASE_URL") or None)
    redis_url: Optional[str] = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    rabbitmq_url: str = field(default_factory=lambda: os.environ.get("RABBITMQ_URL", "").strip())  # "": none
    workers: int = 1                               # Sanic workers per Rasa server (needs the Redis lock store)
    work_dir: Path = ROOT / "var" / "cluster"
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))   # Rasa's HTTP API, every replica
    extra_env: Dict[str, str] = field(default_factory=dict)   # for every server, e.g. channel settings

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= MAX_REPLICAS:   # replica ports P+10*i must stay below P+90 (services)
            raise ValueError(f"replicas must be between 1 and {MAX_REPLICAS}; got {self.replicas}")

    @property
    def url(self) -> str:
        """Where customers' requests go: HAProxy."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats_port(self) -> int:
        return self.port + 1

    def rasa_port(self, index: int) -> int:
        return self.port + 10 * index

    def action_port(self, index: int) -> int:
        return self.port + 10 * index + 5


@dataclass
class Replica:
    """One Rasa server and its action server."""

    index: int
    config: ServerConfig
    actions: ChildServer
    rasa: ChildServer

    @property
    def name(self) -> str:
        """The replica's server name in HAProxy (``rasa1``...)."""
        return f"rasa{self.index}"

    @property
    def url(self) -> str:
        return self.config.rasa_url


class Cluster:
    """Replicas + HAProxy under one supervisor, in a background thread; a context manager."""

    def __init__(self, settings: ClusterSettings, say: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings
        self.replicas: List[Replica] = []
        self.haproxy: Optional[ChildServer] = None
        self.console: List[str] = []
        self._say = say
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.supervisor: Optional[Supervisor] = None
        self.status: Optional[int] = None      # the supervisor's exit status once it stopped

    # -- set-up ------------------------------------------------------------------------------------
    def replica_config(self, index: int) -> ServerConfig:
        """Replica ``index`` (1-based): own ports and logs; the stores, the API token and (with a database) the
        channels' replay protection shared. Only these settings count, never ``DATABASE_URL`` & co. of the shell."""
        settings, folder = self.settings, self.settings.work_dir / f"replica{index}"
        database_url, redis_url = settings.database_url or "", settings.redis_url or ""
        config = ServerConfig(rasa_port=settings.rasa_port(index), action_port=settings.action_port(index),
                              log_dir=folder, tracker_db=folder / "tracker.db", database_url=database_url,
                              redis_url=redis_url, rabbitmq_url=settings.rabbitmq_url, workers=settings.workers,
                              tickets_db_url=database_url, api_token=settings.api_token)
        # With a database, replay protection lives in it (bot.channels.state), so a webhook redelivered to the
        # other replica is still recognised; a per-replica SQLite file would not see it.
        config.extra_env.update({"CHANNEL_STATE_DB": "" if database_url else str(folder / "channels.db"),
                                 "REDIS_URL": redis_url, "RASA_WORKERS": str(config.workers)})
        config.extra_env.update(tensorflow_threads(settings.replicas * max(1, settings.workers)))
        config.extra_env.update(settings.extra_env)
        return config

    def prepare(self) -> List[ChildServer]:
        """Check ports and files, write each replica's endpoints and HAProxy's configuration; return every
        process to supervise (not started)."""
        settings = self.settings
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        children: List[ChildServer] = []
        for index in range(1, settings.replicas + 1):
            config = self.replica_config(index)
            actions, rasa = AssistantServers(config).prepare()   # endpoints: PostgreSQL + the Redis lock store
            self.replicas.append(Replica(index, config, actions, rasa))
            children += [actions, rasa]
        self.haproxy = ChildServer(self._haproxy_spec())
        return [*children, self.haproxy]

    def _haproxy_spec(self) -> ServerSpec:
        settings = self.settings
        rendered = render_loopback(DEPLOYED_CONFIG.read_text(encoding="utf-8"), settings.port, settings.stats_port,
                                   [replica.config.rasa_port for replica in self.replicas])
        path = settings.work_dir / "haproxy.cfg"
        path.write_text(rendered, encoding="utf-8")
        checked = check_config(path)
        if checked.returncode != 0:
            raise RuntimeError(f"haproxy rejects {path}:\n{checked.stdout}{checked.stderr}")
        return ServerSpec(name="HAProxy", command=haproxy_command(path), health_url=f"{settings.url}/haproxy-health",
                          log_path=settings.work_dir / "haproxy.log", cwd=ROOT, env=dict(os.environ))

    # -- running -----------------------------------------------------------------------------------
    def _out(self, line: str) -> None:
        self.console.append(line)
        if self._say:
            self._say(line)

    def start(self, timeout: float = 300.0) -> "Cluster":
        """Start everything; return once every process is healthy and HAProxy sees every replica up."""
        children = self.prepare()
        supervisor = self.supervisor = Supervisor(children, policy=RestartPolicy(max_exits=10), out=self._out,
                                                  banner=f"The cluster is running: {self.settings.url}",
                                                  again="The cluster is running again.")
        self._thread = threading.Thread(target=self._supervise, name="cluster-supervisor", daemon=True)
        self._thread.start()
        self.wait_until(lambda: supervisor.all_healthy and self.all_replicas_up(), timeout,
                        "the cluster to be ready")
        return self

    def _supervise(self) -> None:
        assert self.supervisor is not None
        self.status = self.supervisor.run(self._stop)

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for ``condition()``; raise (with the console) if it does not hold in time or the supervisor gave up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status is not None:
                raise RuntimeError(f"the cluster stopped: {self.console[-3:]}; logs in {self.settings.work_dir}")
            if condition():
                return
            time.sleep(0.5)
        raise TimeoutError(f"waited {timeout:.0f} s for {what}; logs in {self.settings.work_dir}")

    def server_states(self, backend: str = "conversations") -> Dict[str, str]:
        """HAProxy's view of each replica in ``backend``: ``UP``, ``DOWN``, ``UP 1/2``... (empty if unknown)."""
        url = f"http://127.0.0.1:{self.settings.stats_port}/stats;csv"
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback
                text = reply.read().decode()
        except OSError:
            return {}
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {row["svname"]: row["status"] for row in rows
                if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    def all_replicas_up(self) -> bool:
        states = self.server_states()
        return len(states) == len(self.replicas) and all(state == "UP" for state in states.values())

    @property
    def pids(self) -> Dict[str, int]:
        """Process ids by server (``rasa1``, ``actions1``, ..., ``haproxy``)."""
        found = {}
        for replica in self.replicas:
            found[f"rasa{replica.index}"] = replica.rasa.pid
            found[f"actions{replica.index}"] = replica.actions.pid
        if self.haproxy is not None:
            found["haproxy"] = self.haproxy.pid
        return {name: pid for name, pid in found.items() if pid is not None}

    def stop(self) -> None:
        """Stop every process (the supervisor stops them in its own thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)

    def __enter__(self) -> "Cluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HAProxy's port (the others follow)")
    parser.add_argument("--workers", type=int, default=1, help="Sanic workers per Rasa server")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--private-services", action="store_true",
                        help="start a throwaway PostgreSQL (port P+90) and Redis (P+91) instead of using "
                             "DATABASE_URL / REDIS_URL")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    from bot.local_services import PrivatePostgres, PrivateRedis

    args = parse_args(argv)
    settings = ClusterSettings(replicas=args.replicas, port=args.port, workers=args.workers, work_dir=args.work_dir)
    postgres: Optional[PrivatePostgres] = None
    redis_server: Optional[PrivateRedis] = None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    cluster = Cluster(settings, say=lambda line: print(line, flush=True))
    try:
        if args.private_services:
            postgres = PrivatePostgres(args.port + 90, args.work_dir / "postgres").start()
            redis_server = PrivateRedis(args.port + 91, args.work_dir / "redis").start()
            settings.database_url, settings.redis_url = postgres.create_database("kriptocs"), redis_server.url
        if not settings.database_url or not settings.redis_url:
            print("Set DATABASE_URL (PostgreSQL) and REDIS_URL, or use --private-services.", file=sys.stderr)
            return 2
        print(f"Starting {settings.replicas} replicas behind HAProxy (about a minute)...", flush=True)
        cluster.start()
        print(f"HAProxy statistics: http://127.0.0.1:{settings.stats_port}/stats. Press Ctrl-C to stop.", flush=True)
        while not stop.is_set() and cluster.status is None:
            stop.wait(1.0)
    finally:
        cluster.stop()
        if redis_server is not None:
            redis_server.stop()
        if postgres is not None:
            postgres.stop("fast")
    return cluster.status or 0


if __name__ == "__main__":
    raise SystemExit(main())
