"""Benchmark: the production profile vs a vanilla ``rasa init`` assistant, in one run.

1. The vanilla assistant (``bench/run_bench.py``'s :class:`VanillaServer`): warm-up, then 1, 8, 32 and 64
   concurrent conversations; stopped.
2. The production profile (:class:`bot.cluster.Cluster`): N replicas (Rasa + action server each) behind
   HAProxy with deploy/haproxy.cfg, a PostgreSQL tracker and ticket store and the Redis lock store, both
   private throwaway servers (:mod:`bot.local_services`); the same warm-up and loads through HAProxy.

Every level sends the same scripted conversations (6 turns, from tests/data/dev.tsv), the same number of
messages. Per level: throughput, p50/p95, errors, and the CPU each part used per message (psutil), with
what the rest of the machine used meanwhile. Then the memory of each replica and of vanilla. Prints a table
and whether the targets at 8 conversations are met (>= 1.5x vanilla's throughput, p95 no worse) and writes
bench/results/cluster-latest.json. Not a test: exits non-zero only when the benchmark cannot run.

    python bench/cluster_bench.py [--replicas 2] [--workers 1] [--levels 1,8,32,64] [--messages 384]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_bench import (  # noqa: E402
    RESULTS,
    VanillaServer,
    load_scripts,
    machine_busy_seconds,
    prepare_vanilla,
    run_load,
    tree_cpu_seconds,
    tree_memory,
    warm_up,
)

DEFAULT_PORT = 16600           # HAProxy; replicas P+10*i (+5 actions); PostgreSQL P+90, Redis P+91; vanilla P+100
LEVELS = (1, 8, 32, 64)
TARGET_LEVEL, TARGET_THROUGHPUT = 8, 1.5
WORK_DIR = ROOT / "var" / "bench" / "cluster"
PROFILE_ENV = ("DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", "RASA_WORKERS", "SANIC_WORKERS", "TICKETS_DB_URL",
               "ANALYTICS_DB_URL")

Pids = Callable[[], List[int]]


# -- measuring a running system ------------------------------------------------------------------------
def cpu_snapshot(parts: Dict[str, Pids]) -> Dict[str, float]:
    """CPU seconds so far of each part, of this process (the load generator) and of the whole machine."""
    snapshot = {name: tree_cpu_seconds(pids()) for name, pids in parts.items()}
    own = psutil.Process().cpu_times()
    snapshot["load generator"] = own.user + own.system
    snapshot["machine"] = machine_busy_seconds()
    return snapshot


def cpu_per_message(before: Dict[str, float], after: Dict[str, float], messages: int) -> Dict[str, float]:
    """CPU milliseconds per message of each part; ``other`` is what the rest of the machine used."""
    used = {name: after[name] - before[name] for name in before}
    machine = used.pop("machine")
    used["other"] = max(0.0, machine - sum(used.values()))
    return {name: round(seconds * 1000 / max(1, messages), 1) for name, seconds in used.items()}


def measure_levels(url: str, parts: Dict[str, Pids], levels: Sequence[int], total: int) -> Dict[str, Dict]:
    """Warm up, then each level of concurrent conversations with its CPU use per message."""
    scripts = load_scripts()
    warm_up(url, scripts)
    results = {}
    for conversations in levels:
        before = cpu_snapshot(parts)
        result = run_load(url, scripts, conversations, total)
        result["cpu_ms_per_msg"] = cpu_per_message(before, cpu_snapshot(parts), result["messages"])
        cores = os.cpu_count() or 1
        result["other_cpu_pct"] = round(100 * result["cpu_ms_per_msg"]["other"] * result["messages"]
                                        / 1000 / (result["elapsed_s"] * cores), 1)
        results[f"c{conversations}"] = result
        print(f"  c={conversations:<3d} {result['msgs_per_s']:7.2f} msg/s  p50 {result['p50_ms']} ms  "
              f"p95 {result['p95_ms']} ms  errors {result['errors']}  served by {result['served_by'] or '-'}",
              flush=True)
    return results


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def busy_share(seconds: float = 5.0) -> float:
    """Share of all cores the machine is busy over ``seconds`` (0..1)."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / (seconds * (os.cpu_count() or 1))


def wait_for_quiet(limit_s: float, below: float = 0.15) -> float:
    """Wait at most ``limit_s`` until other work on the machine keeps less than ``below`` of its cores busy
    (other people's tests skew every figure); return the busy share seen last, in percent."""
    deadline = time.monotonic() + limit_s
    share = busy_share()
    while share >= below and time.monotonic() < deadline:
        share = busy_share()
    if share >= below:
        print(f"  note: the machine is still {100 * share:.0f}% busy with other work; figures are skewed", flush=True)
    return round(100 * share, 1)


# -- the two systems --------------------------------------------------------------------------------------
def bench_vanilla(port: int, levels: Sequence[int], total: int, quiet_wait: float) -> Dict:
    """Start vanilla ``rasa init``, measure it, read its memory, stop it."""
    server = VanillaServer(prepare_vanilla(), port)
    busy_before = wait_for_quiet(quiet_wait)
    load_before = load_average()
    print(f"vanilla `rasa init` (port {port}); machine {busy_before}% busy before, load average {load_before}:",
          flush=True)
    try:
        startup = server.start()
        levels_result = measure_levels(server.url, {"vanilla rasa": lambda: server.pids}, levels, total)
        memory = tree_memory(server.pids)
    finally:
        server.stop()
    return {"startup_s": round(startup, 1), "load_average_before": load_before, "busy_pct_before": busy_before,
            "levels": levels_result, "memory_mb": {"rasa": memory}}


class ProductionProfile:
    """Private PostgreSQL and Redis, and the cluster on them; a context manager that removes it all."""

    def __init__(self, port: int, replicas: int, workers: int, env: Optional[Dict[str, str]] = None) -> None:
        from bot.cluster import ClusterSettings

        for name in PROFILE_ENV:   # the replicas must use only the private services started here
            os.environ.pop(name, None)
        self.port = port
        self.settings = ClusterSettings(replicas=replicas, port=port, workers=workers, work_dir=WORK_DIR,
                                        database_url=None, redis_url=None, extra_env=dict(env or {}))
        self.postgres = self.redis = self.cluster = None

    def __enter__(self) -> "ProductionProfile":
        from bot.cluster import Cluster
        from bot.local_services import PrivatePostgres, PrivateRedis

        shutil.rmtree(WORK_DIR, ignore_errors=True)
        try:
            self.postgres = PrivatePostgres(self.port + 90, WORK_DIR / "postgres").start()
            self.redis = PrivateRedis(self.port + 91, WORK_DIR / "redis").start()
            self.settings.database_url = self.postgres.create_database("kriptocs_bench")
            self.settings.redis_url = self.redis.url
            self.cluster = Cluster(self.settings)
            self.cluster.start(timeout=420)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.cluster is not None:
                self.cluster.stop()
        finally:
            try:
                if self.redis is not None:
                    self.redis.remove()
            finally:
                if self.postgres is not None:
                    self.postgres.remove()

    def postgres_pids(self) -> List[int]:
        """The postmaster (its backends are its children)."""
        try:
            return [int((self.postgres.data / "postmaster.pid").read_text().split()[0])]
        except (OSError, ValueError, IndexError):
            return []

    def parts(self) -> Dict[str, Pids]:
        """Each process to account for, by name, as a function (the supervisor may restart one)."""
        cluster = self.cluster
        parts: Dict[str, Pids] = {}
        for replica in cluster.replicas:
            parts[f"rasa{replica.index}"] = lambda r=replica: [r.rasa.pid] if r.rasa.pid else []
            parts[f"actions{replica.index}"] = lambda r=replica: [r.actions.pid] if r.actions.pid else []
        parts["haproxy"] = lambda: [cluster.haproxy.pid] if cluster.haproxy and cluster.haproxy.pid else []
        parts["postgresql"] = self.postgres_pids
        parts["redis"] = lambda: [self.redis.process.pid] if self.redis and self.redis.process else []
        return parts

    def memory(self) -> Dict[str, Dict[str, float]]:
        """Memory of each replica (Rasa + action server with their children) and of the shared services."""
        found: Dict[str, Dict[str, float]] = {}
        for replica in self.cluster.replicas:
            rasa, actions = tree_memory([replica.rasa.pid]), tree_memory([replica.actions.pid])
            found[f"replica{replica.index}"] = {
                "rasa_rss_mb": rasa["rss_mb"], "actions_rss_mb": actions["rss_mb"],
                "rss_mb": round(rasa["rss_mb"] + actions["rss_mb"], 1),
                "pss_mb": round(rasa["pss_mb"] + actions["pss_mb"], 1)}
        for name, pids in self.parts().items():
            if name in ("haproxy", "postgresql", "redis"):
                found[name] = tree_memory(pids())
        return found


def bench_production(port: int, replicas: int, workers: int, env: Dict[str, str], levels: Sequence[int],
                     total: int, quiet_wait: float) -> Dict:
    """Start the production profile, measure it through HAProxy, read its memory, remove it."""
    busy_before = wait_for_quiet(quiet_wait)
    load_before = load_average()
    print(f"production profile: {replicas} replica(s) x {workers} Sanic worker(s) behind HAProxy (port {port}), "
          f"PostgreSQL + Redis; machine {busy_before}% busy before, load average {load_before}:", flush=True)
    started = time.perf_counter()
    with ProductionProfile(port, replicas, workers, env) as profile:
        startup = time.perf_counter() - started
        levels_result = measure_levels(profile.settings.url, profile.parts(), levels, total)
        memory = profile.memory()
        restarts = [line for line in profile.cluster.console if "exit" in line.lower()]
    return {"startup_s": round(startup, 1), "load_average_before": load_before, "busy_pct_before": busy_before,
            "levels": levels_result, "memory_mb": memory, "restarts": restarts}


# -- comparing and reporting ---------------------------------------------------------------------------
def ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    return round(ours / theirs, 2) if ours and theirs else None


def compare(vanilla: Dict, production: Dict) -> Dict[str, Dict]:
    """Production over vanilla, per level: throughput and p50/p95 latency."""
    out = {}
    for level, ours in production["levels"].items():
        theirs = vanilla["levels"].get(level)
        if theirs:
            out[level] = {"msgs_per_s": ratio(ours["msgs_per_s"], theirs["msgs_per_s"]),
                          "p50": ratio(ours["p50_ms"], theirs["p50_ms"]),
                          "p95": ratio(ours["p95_ms"], theirs["p95_ms"])}
    return out


def targets(vanilla: Dict, production: Dict) -> Dict:
    """The issue's targets at 8 conversations: >= 1.5x vanilla's throughput and p95 no worse."""
    level = f"c{TARGET_LEVEL}"
    ours, theirs = production["levels"].get(level), vanilla["levels"].get(level)
    if not ours or not theirs:
        return {"measured": False}
    throughput = ratio(ours["msgs_per_s"], theirs["msgs_per_s"]) or 0.0
    p95_ok = ours["p95_ms"] is not None and theirs["p95_ms"] is not None and ours["p95_ms"] <= theirs["p95_ms"]
    errors_ok = ours["errors"] == 0
    return {"measured": True, "throughput_ratio": throughput, "throughput_met": throughput >= TARGET_THROUGHPUT,
            "p95_ms": ours["p95_ms"], "vanilla_p95_ms": theirs["p95_ms"], "p95_met": p95_ok, "no_errors": errors_ok,
            "met": throughput >= TARGET_THROUGHPUT and p95_ok and errors_ok}


def print_report(results: Dict) -> None:
    """The table, the CPU breakdown, memory and the verdict."""
    vanilla, production, config = results["vanilla"], results["production"], results["configuration"]
    print(f"\n{config['description']}; {config['messages_per_level']} messages per level "
          f"({config['turns']}-turn conversations); {config['cpus']} CPUs")
    print(f"{'conv':>5s} | {'vanilla msg/s':>13s} {'p50':>7s} {'p95':>7s} {'err':>4s} | "
          f"{'prod msg/s':>10s} {'p50':>7s} {'p95':>7s} {'err':>4s} | {'thru x':>6s} {'p95 x':>6s} | other CPU %")
    for level, ours in production["levels"].items():
        theirs, ratios = vanilla["levels"].get(level, {}), results["ratios"].get(level, {})
        print(f"{level[1:]:>5s} | {theirs.get('msgs_per_s', 0):>13.2f} {theirs.get('p50_ms') or 0:>7.1f} "
              f"{theirs.get('p95_ms') or 0:>7.1f} {theirs.get('errors', 0):>4d} | {ours['msgs_per_s']:>10.2f} "
              f"{ours['p50_ms'] or 0:>7.1f} {ours['p95_ms'] or 0:>7.1f} {ours['errors']:>4d} | "
              f"{ratios.get('msgs_per_s') or 0:>6.2f} {ratios.get('p95') or 0:>6.2f} | "
              f"{theirs.get('other_cpu_pct', 0)} / {ours['other_cpu_pct']}")
    level = f"c{TARGET_LEVEL}"
    if level in production["levels"]:
        print(f"\nCPU ms per message at {TARGET_LEVEL} conversations:")
        for name, system in (("vanilla", vanilla), ("production", production)):
            parts = system["levels"].get(level, {}).get("cpu_ms_per_msg", {})
            servers = sum(ms for part, ms in parts.items() if part not in ("load generator", "other"))
            print(f"  {name:11s}" + "  ".join(f"{part} {ms}" for part, ms in parts.items())
                  + f"  | servers {round(servers, 1)}")
    print("\nmemory (MiB): vanilla RSS {rss_mb} (PSS {pss_mb})".format(**vanilla["memory_mb"]["rasa"]))
    for name, memory in production["memory_mb"].items():
        print(f"  {name}: " + ", ".join(f"{key} {value}" for key, value in memory.items()))
    print(f"startup: vanilla {vanilla['startup_s']} s, production {production['startup_s']} s "
          f"(incl. PostgreSQL/Redis); machine busy before (other work): vanilla {vanilla['busy_pct_before']}%, "
          f"production {production['busy_pct_before']}%; load average before: vanilla "
          f"{vanilla['load_average_before']}, production {production['load_average_before']}")
    verdict = results["targets"]
    if not verdict.get("measured"):
        print(f"\ntargets at {TARGET_LEVEL} conversations: not measured (level not run)")
        return
    print(f"\ntargets at {TARGET_LEVEL} conversations: throughput {verdict['throughput_ratio']}x vanilla "
          f"(>= {TARGET_THROUGHPUT}x: {'MET' if verdict['throughput_met'] else 'NOT MET'}); p95 {verdict['p95_ms']} ms "
          f"vs {verdict['vanilla_p95_ms']} ms ({'MET' if verdict['p95_met'] else 'NOT MET'}); errors "
          f"{'none' if verdict['no_errors'] else 'some'} => {'TARGETS MET' if verdict['met'] else 'TARGETS NOT MET'}")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="Rasa + action server pairs behind HAProxy")
    parser.add_argument("--workers", type=int, default=1, help="Sanic workers per Rasa server")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="concurrent conversations, comma-separated")
    parser.add_argument("--messages", type=int, default=384,
                        help="messages per level (a multiple of every level: 384 = 64 conversations x 6 turns)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HAProxy's port; the others follow it")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment of every replica server (a deployment setting), repeatable")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="wait at most this many seconds for other work on the machine to calm down "
                             "before each system")
    parser.add_argument("--output", type=Path, default=RESULTS / "cluster-latest.json")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stop every server on the way out
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    env = dict(item.split("=", 1) for item in args.env)
    started = time.perf_counter()
    results: Dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    results["vanilla"] = bench_vanilla(args.port + 100, levels, args.messages, args.quiet_wait)
    results["production"] = bench_production(args.port, args.replicas, args.workers, env, levels, args.messages,
                                             args.quiet_wait)
    results["configuration"] = {
        "description": f"production profile: {args.replicas} replica(s) x {args.workers} Sanic worker(s) "
                       "(Rasa + action server each) behind HAProxy (deploy/haproxy.cfg), PostgreSQL tracker/ticket "
                       f"store, Redis lock store{'; env ' + ' '.join(args.env) if args.env else ''}; vanilla: "
                       "`rasa init`, 1 process, in-memory stores",
        "replicas": args.replicas, "workers": args.workers, "env": env, "levels": levels,
        "messages_per_level": args.messages, "turns": 6, "cpus": os.cpu_count()}
    results["ratios"] = compare(results["vanilla"], results["production"])
    results["targets"] = targets(results["vanilla"], results["production"])
    results["duration_s"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print_report(results)
    print(f"\n{args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} written; "
          f"{results['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
