"""Benchmark: this assistant vs a vanilla ``rasa init`` assistant, side by side in one run.

Measures startup time, REST latency (p50/p95) and throughput at 1 and 8 concurrent conversations, and
the resident memory of the servers. Prints a table and writes bench/results/latest.json.
Not a test: it asserts nothing and takes a few minutes (the vanilla model is trained once and cached).

    python bench/run_bench.py [--messages 120]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evalset import load_eval_lines  # noqa: E402
from bot.servers import BIN, AssistantServers, ServerConfig, http_ok, child_env  # noqa: E402

VANILLA_DIR = ROOT / "var" / "bench" / "vanilla"
RESULTS = ROOT / "bench" / "results"


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
    """The vanilla assistant's Rasa server (it has no custom actions, so no action server)."""

    def __init__(self, model: Path, port: int) -> None:
        self.model, self.port = model, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        started = time.perf_counter()
        log = open(VANILLA_DIR / "rasa.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "rasa"), "run", "--model", str(self.model), "--interface", "127.0.0.1",
             "--port", str(self.port)], cwd=VANILLA_DIR, env=child_env(), stdout=log, stderr=subprocess.STDOUT)
        while not http_ok(f"{self.url}/webhooks/rest/"):
            if self.process.poll() is not None:
                raise RuntimeError("vanilla rasa exited; see var/bench/vanilla/rasa.log")
            time.sleep(0.2)
        return time.perf_counter() - started

    @property
    def pids(self) -> List[int]:
        return [self.process.pid] if self.process else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def rss_mb(pids: List[int]) -> float:
    """Resident memory of the processes and their children, in MiB."""
    total = 0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            total += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def load_messages(base_url: str, texts: List[str], conversations: int, total: int, turns: int = 6) -> Dict[str, float]:
    """Send ``total`` messages from ``conversations`` concurrent customers.

    Each customer holds successive conversations of ``turns`` messages (a fresh sender each time),
    like real support chats, so the tracker does not grow without bound.
    """
    per_worker = max(1, total // conversations)

    def worker(index: int) -> List[float]:
        session, latencies, sender = requests.Session(), [], ""
        for i in range(per_worker):
            if i % turns == 0:
                sender = f"bench-{uuid.uuid4().hex[:8]}"
            text = texts[(index * per_worker + i) % len(texts)]
            started = time.perf_counter()
            reply = session.post(f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                 timeout=60)
            reply.raise_for_status()
            latencies.append(time.perf_counter() - started)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        latencies = [lat for result in pool.map(worker, range(conversations)) for lat in result]
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "msgs_per_s": round(len(latencies) / elapsed, 2),
    }


def measure(name: str, url: str, pids: List[int], startup: float, texts: List[str], total: int) -> dict:
    """Warm up, then run the 1- and 8-conversation loads and read memory."""
    load_messages(url, texts, 1, 10)
    result = {"startup_s": round(startup, 1)}
    for conversations in (1, 8):
        result[f"c{conversations}"] = load_messages(url, texts, conversations, total)
        print(f"  {name} c={conversations}: {result[f'c{conversations}']}", flush=True)
    result["rss_mb"] = round(rss_mb(pids), 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=120, help="messages per load level")
    args = parser.parse_args()
    texts = [line.text for line in load_eval_lines(ROOT / "tests" / "data" / "eval.tsv")]
    vanilla_model = prepare_vanilla()

    results = {}
    print("this assistant (Rasa + action server with retrieval):", flush=True)
    work = ROOT / "var" / "bench"
    config = ServerConfig(rasa_port=16005, action_port=16055, tracker_db=work / "tracker.db", log_dir=work)
    started = time.perf_counter()
    ours = AssistantServers(config).start(timeout=300)
    try:
        results["ours"] = measure("ours", config.rasa_url, ours.pids, time.perf_counter() - started, texts,
                                  args.messages)
    finally:
        ours.stop()

    print("vanilla `rasa init` assistant:", flush=True)
    vanilla = VanillaServer(vanilla_model, 16105)
    try:
        startup = vanilla.start()
        results["vanilla"] = measure("vanilla", vanilla.url, vanilla.pids, startup, texts, args.messages)
    finally:
        vanilla.stop()

    ratios = {key: round(results["ours"][key][metric] / results["vanilla"][key][metric], 2)
              for key in ("c1", "c8") for metric in ("p50_ms",)}
    results["ratio_ours_over_vanilla"] = {
        "p50_c1": ratios["c1"], "p50_c8": ratios["c8"],
        "msgs_per_s_c8": round(results["ours"]["c8"]["msgs_per_s"] / results["vanilla"]["c8"]["msgs_per_s"], 2),
        "rss": round(results["ours"]["rss_mb"] / results["vanilla"]["rss_mb"], 2),
        "startup": round(results["ours"]["startup_s"] / results["vanilla"]["startup_s"], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\n{'':10s}{'startup s':>10s}{'p50 c1':>9s}{'p95 c1':>9s}{'p50 c8':>9s}{'p95 c8':>9s}"
          f"{'msg/s c1':>10s}{'msg/s c8':>10s}{'RSS MiB':>9s}")
    for name in ("ours", "vanilla"):
        r = results[name]
        print(f"{name:10s}{r['startup_s']:>10.1f}{r['c1']['p50_ms']:>9.1f}{r['c1']['p95_ms']:>9.1f}"
              f"{r['c8']['p50_ms']:>9.1f}{r['c8']['p95_ms']:>9.1f}{r['c1']['msgs_per_s']:>10.2f}"
              f"{r['c8']['msgs_per_s']:>10.2f}{r['rss_mb']:>9.1f}")
    print(f"ratios ours/vanilla: {results['ratio_ours_over_vanilla']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
