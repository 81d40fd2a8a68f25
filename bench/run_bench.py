"""Benchmark: this assistant vs a vanilla ``rasa init`` assistant, side by side in one run.

Measures startup time, REST latency (p50/p95) and throughput at 1 and 8 concurrent conversations, and
the resident memory of the servers. Prints a table and writes bench/results/latest.json.
Not a test: it asserts nothing and takes a few minutes (the vanilla model is trained once and cached).

    python bench/run_bench.py [--messages 120]

The pieces both benchmarks use live here, one implementation each, and ``bench/cluster_bench.py`` imports
them: :func:`prepare_vanilla` / :class:`VanillaServer` (the baseline), :func:`conversation_scripts` /
:func:`run_load` (the load generator) and :func:`tree_memory` / :func:`tree_cpu_seconds` (process accounting).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from itertools import cycle
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evalset import EvalLine, load_eval_lines  # noqa: E402
from bot.servers import BIN, AssistantServers, ServerConfig, child_env, http_ok  # noqa: E402

VANILLA_DIR = ROOT / "var" / "bench" / "vanilla"
RESULTS = ROOT / "bench" / "results"
DEV_TSV = ROOT / "tests" / "data" / "dev.tsv"   # conversations are built from the dev split only
TURNS = 6                      # messages per conversation (see conversation_scripts)
REQUEST_TIMEOUT_S = 60.0


# -- the baseline: vanilla `rasa init` ------------------------------------------------------------------
def prepare_vanilla() -> Path:
    """Create and train the ``rasa init`` starter assistant once; return its model path."""
    model = VANILLA_DIR / "models" / "vanilla.tar.gz"
    if model.exists():
        return model
    shutil.rmtree(VANILLA_DIR, ignore_errors=True)
    VANILLA_DIR.mkdir(parents=True)
    print("creating and training the vanilla `rasa init` assistant (once)...", flush=True)
    # `rasa init --no-prompt` writes the starter project and trains it.
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(VANILLA_DIR)],
                   cwd=VANILLA_DIR, env=child_env(), check=True, capture_output=True)
    trained = sorted((VANILLA_DIR / "models").glob("*.tar.gz"))
    if not trained:
        raise RuntimeError("rasa init did not produce a model")
    trained[-1].rename(model)
    return model


class VanillaServer:
    """The vanilla assistant's Rasa server, as ``rasa init`` leaves it (no custom actions, so no action
    server; in-memory tracker and lock store; one Sanic worker)."""

    def __init__(self, model: Path, port: int) -> None:
        self.model, self.port = model, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 180.0) -> float:
        """Start the server; return the seconds until it answered."""
        started = time.perf_counter()
        with open(VANILLA_DIR / "rasa.log", "wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "rasa"), "run", "--model", str(self.model), "--interface", "127.0.0.1",
                 "--port", str(self.port)], cwd=VANILLA_DIR, env=child_env(), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        while not http_ok(f"{self.url}/webhooks/rest/"):
            if self.process.poll() is not None:
                raise RuntimeError("vanilla rasa exited; see var/bench/vanilla/rasa.log")
            if time.perf_counter() - started > timeout:
                self.stop()
                raise TimeoutError(f"vanilla rasa not ready after {timeout:.0f} s; see var/bench/vanilla/rasa.log")
            time.sleep(0.2)
        return time.perf_counter() - started

    @property
    def pids(self) -> List[int]:
        return [self.process.pid] if self.process else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- process accounting ---------------------------------------------------------------------------------
def _trees(pids: Iterable[int]) -> List[psutil.Process]:
    """The processes ``pids`` and all their descendants (those still alive)."""
    found: Dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                found[proc.pid] = proc
        except psutil.NoSuchProcess:
            pass
    return list(found.values())


def tree_memory(pids: Iterable[int]) -> Dict[str, float]:
    """RSS and PSS (shared pages split between the processes sharing them) of the trees, in MiB."""
    rss = pss = 0
    for proc in _trees(pids):
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
    return {"rss_mb": round(rss / 2**20, 1), "pss_mb": round(pss / 2**20, 1)}


def rss_mb(pids: List[int]) -> float:
    """Resident memory of the processes and their children, in MiB."""
    return tree_memory(pids)["rss_mb"]


def tree_cpu_seconds(pids: Iterable[int]) -> float:
    """CPU time (user + system) used so far by the trees' live processes."""
    total = 0.0
    for proc in _trees(pids):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_busy_seconds() -> float:
    """CPU time the whole machine has been busy (all cores, everything but idle and iowait)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


# -- the load: realistic support conversations from the evaluation lines -------------------------------
def conversation_scripts(lines: Sequence[EvalLine], turns: int = TURNS) -> List[List[str]]:
    """Support conversations built from the evaluation lines, deterministically: a greeting, a knowledge
    question, "yes" to "did that help?", two more questions, then thanks or goodbye (``turns`` = 6).

    Lines that would open a problem report or a handoff (reports, "talk to a human", "no") are left out,
    so every conversation exercises the same path on both assistants: NLU, dialogue, and for this assistant
    the knowledge-base action. Each question is asked once per pass over the scripts."""
    def pool(*intents: str) -> List[str]:
        return [line.text for line in lines if set(line.intents()) & set(intents)]

    greetings, yes, closing = cycle(pool("greet")), cycle(pool("affirm")), cycle(pool("thank", "goodbye"))
    questions = [line.text for line in lines if line.kb_ids() and not line.intents()]
    if not questions:
        raise ValueError("no knowledge questions in the evaluation lines")
    scripts, asked = [], cycle(questions)
    for _ in range(max(1, len(questions) // 3)):
        script = [next(greetings), next(asked), next(yes), next(asked), next(asked), next(closing)]
        scripts.append(script[:turns])
    return scripts


def load_scripts(turns: int = TURNS) -> List[List[str]]:
    """:func:`conversation_scripts` of tests/data/dev.tsv."""
    return conversation_scripts(load_eval_lines(DEV_TSV), turns)


def _summary(latencies: List[float], elapsed: float, error_kinds: Dict[str, int], served_by: Dict[str, int]) -> Dict:
    latencies, errors = sorted(latencies), sum(error_kinds.values())
    ok = len(latencies)
    return {
        "messages": ok + errors,
        "errors": errors,
        "error_kinds": error_kinds,
        "served_by": served_by,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if ok else None,
        "p95_ms": round(latencies[int(0.95 * (ok - 1))] * 1000, 1) if ok else None,
        "msgs_per_s": round(ok / elapsed, 2),
        "elapsed_s": round(elapsed, 2),
    }


async def _load(base_url: str, scripts: List[List[str]], conversations: int, per_worker: int) -> Dict:
    latencies: List[float] = []
    error_kinds: Dict[str, int] = {}
    served_by: Dict[str, int] = {}     # replies per replica (HAProxy's X-Assistant-Replica header)
    url = f"{base_url}/webhooks/rest/webhook"
    run = uuid.uuid4().hex[:6]

    async def customer(index: int, session: aiohttp.ClientSession) -> None:
        """Conversations ``index``, ``index + conversations``...; ``per_worker`` messages in all."""
        sent, script_no = 0, index
        while sent < per_worker:
            sender = f"bench-{run}-{script_no}"
            for text in scripts[script_no % len(scripts)]:
                if sent == per_worker:
                    break
                sent += 1
                started = time.perf_counter()
                try:
                    async with session.post(url, json={"sender": sender, "message": text}) as reply:
                        await reply.read()
                        kind = None if reply.status == 200 else f"HTTP {reply.status}"
                        replica = reply.headers.get("X-Assistant-Replica")
                        if replica:
                            served_by[replica] = served_by.get(replica, 0) + 1
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    kind = type(error).__name__
                if kind is None:
                    latencies.append(time.perf_counter() - started)
                else:
                    error_kinds[kind] = error_kinds.get(kind, 0) + 1
            script_no += conversations

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=conversations)
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(customer(index, session) for index in range(conversations)))
    elapsed = time.perf_counter() - started
    return _summary(latencies, elapsed, error_kinds, served_by)


def run_load(base_url: str, scripts: List[List[str]], conversations: int, total: int) -> Dict:
    """Send ``total`` messages (rounded down to a multiple of ``conversations``) from ``conversations``
    concurrent customers over REST; each customer holds successive scripted conversations, one sender each,
    and sends its next message when the reply to the last one came.

    Returns messages sent, errors (non-200 or no answer) by kind, p50/p95 latency of the answered ones (ms),
    answered messages per second and the elapsed time."""
    return asyncio.run(_load(base_url, scripts, conversations, max(1, total // conversations)))


def warm_up(base_url: str, scripts: List[List[str]], messages: int = 24, conversations: int = 4) -> None:
    """A few conversations before measuring (first inferences, connection pools, caches)."""
    run_load(base_url, scripts[-conversations:], conversations, messages)


# -- this script: the embedded profile vs vanilla at 1 and 8 conversations ------------------------------
def measure(name: str, url: str, pids: List[int], startup: float, scripts: List[List[str]], total: int) -> dict:
    """Warm up, then run the 1- and 8-conversation loads and read memory."""
    warm_up(url, scripts)
    result = {"startup_s": round(startup, 1)}
    for conversations in (1, 8):
        result[f"c{conversations}"] = run_load(url, scripts, conversations, total)
        print(f"  {name} c={conversations}: {result[f'c{conversations}']}", flush=True)
    result["rss_mb"] = round(rss_mb(pids), 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=120, help="messages per load level")
    parser.add_argument("--port", type=int, default=16720,
                        help="this assistant's Rasa port (action server +5, vanilla +30)")
    args = parser.parse_args()
    scripts = load_scripts()
    vanilla_model = prepare_vanilla()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)

    results = {}
    print("this assistant (Rasa + action server with retrieval):", flush=True)
    work = ROOT / "var" / "bench"
    config = ServerConfig(rasa_port=args.port, action_port=args.port + 5, tracker_db=work / "tracker.db",
                          log_dir=work, database_url="", redis_url="", rabbitmq_url="", workers=1)
    started = time.perf_counter()
    ours = AssistantServers(config).start(timeout=300)
    try:
        results["ours"] = measure("ours", config.rasa_url, ours.pids, time.perf_counter() - started, scripts,
                                  args.messages)
    finally:
        ours.stop()

    print("vanilla `rasa init` assistant:", flush=True)
    vanilla = VanillaServer(vanilla_model, args.port + 30)
    try:
        startup = vanilla.start()
        results["vanilla"] = measure("vanilla", vanilla.url, vanilla.pids, startup, scripts, args.messages)
    finally:
        vanilla.stop()

    ratios = {key: round(results["ours"][key]["p50_ms"] / results["vanilla"][key]["p50_ms"], 2) for key in ("c1", "c8")}
    results["ratio_ours_over_vanilla"] = {
        "p50_c1": ratios["c1"], "p50_c8": ratios["c8"],
        "msgs_per_s_c8": round(results["ours"]["c8"]["msgs_per_s"] / results["vanilla"]["c8"]["msgs_per_s"], 2),
        "rss": round(results["ours"]["rss_mb"] / results["vanilla"]["rss_mb"], 2),
        "startup": round(results["ours"]["startup_s"] / results["vanilla"]["startup_s"], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\n{'':10s}{'startup s':>10s}{'p50 c1':>9s}{'p95 c1':>9s}{'p50 c8':>9s}{'p95 c8':>9s}"
          f"{'msg/s c1':>10s}{'msg/s c8':>10s}{'RSS MiB':>9s}{'errors':>8s}")
    for name in ("ours", "vanilla"):
        r = results[name]
        print(f"{name:10s}{r['startup_s']:>10.1f}{r['c1']['p50_ms']:>9.1f}{r['c1']['p95_ms']:>9.1f}"
              f"{r['c8']['p50_ms']:>9.1f}{r['c8']['p95_ms']:>9.1f}{r['c1']['msgs_per_s']:>10.2f}"
              f"{r['c8']['msgs_per_s']:>10.2f}{r['rss_mb']:>9.1f}{r['c1']['errors'] + r['c8']['errors']:>8d}")
    print(f"ratios ours/vanilla: {results['ratio_ours_over_vanilla']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
