"""Retention purge on a large tracker store: fills Rasa's tracker ``events`` table with realistic rows (the
event shapes Rasa stores: session start, user messages with parse data, featurization, actions, replies,
slots), spread over two years and ~10k customers, then times the tracker-store purge of
``python -m bot.privacy purge`` (default policy: 90 days) in a child process, while a writer in this
process keeps saving turns the way the live assistant does (one short transaction every 20 ms) to show how
long the purge ever makes it wait. Prints seconds, rows deleted, rows/s, the child's peak memory and the
writer's waits (not a test).

    .venv/bin/python bench/privacy_purge.py [--events 1000000] [--senders 10000] [--postgres [URL]] [--keep DIR]

SQLite always; with ``--postgres`` also on a throwaway database ``privacy_bench_<random>`` created on the
local server (``postgresql://postgres@127.0.0.1:5432/postgres`` by default) and dropped afterwards.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

NOW = datetime(2027, 6, 1, 3, 0, tzinfo=timezone.utc)
SPAN = timedelta(days=730)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
QUESTIONS = ["cara deposit rupiah lewat BCA gimana ya kak", "WD USDT saya via TRC20 belum masuk dari semalam",
             "kenapa saldo saya berkurang padahal belum transaksi", "biaya penarikan BTC berapa sekarang",
             "akun saya terkunci setelah ganti HP, tolong bantu", "minimal deposit ETH berapa?",
             "halo kak, nama saya Budi Santoso, rekening BCA 1234567890 belum terima dana"]
REPLIES = ["Untuk deposit rupiah, buka menu Deposit lalu pilih bank Anda.", "Mohon maaf atas kendalanya, Kak.",
           "Penarikan kripto biasanya masuk dalam 30 menit setelah konfirmasi jaringan.",
           "Boleh dibantu jaringan yang dipakai dan TXID-nya, Kak?"]
ARTICLES = ["deposit-idr", "withdraw-crypto-pending", "fees-withdrawal", "account-locked"]


def session_events(sender: str, start: float, rng: random.Random) -> List[Tuple[str, str, float, Optional[str],
                                                                               Optional[str], str]]:
    """One session as Rasa stores it: (sender, type, timestamp, intent, action, JSON data)."""
    question, reply, article = rng.choice(QUESTIONS), rng.choice(REPLIES), rng.choice(ARTICLES)
    intent = rng.choice(["ask_knowledge", "report_problem", "greet"])
    t = start
    rows = []

    def add(kind: str, data: Dict[str, Any], intent_name: Optional[str] = None, action: Optional[str] = None) -> None:
        nonlocal t
        t += rng.uniform(0.05, 2.0)
        rows.append((sender, kind, t, intent_name, action, json.dumps({"event": kind, "timestamp": t, **data})))

    def action(name: str) -> None:
        add("action", {"name": name, "policy": "RulePolicy", "confidence": 1.0, "action_text": None,
                       "hide_rule_turn": False}, action=name)

    action("action_session_start")
    add("session_started", {"metadata": {"model_id": "3f2b9c1d"}})
    action("action_listen")
    add("user", {"text": question, "parse_data": {
        "intent": {"name": intent, "confidence": 0.91}, "entities": [], "text": question,
        "message_id": uuid.uuid4().hex, "metadata": {},
        "intent_ranking": [{"name": intent, "confidence": 0.91}, {"name": "greet", "confidence": 0.04}]},
        "input_channel": "telegram", "message_id": uuid.uuid4().hex, "metadata": {}}, intent_name=intent)
    add("user_featurization", {"use_text_for_featurization": False})
    action("action_kb_answer")
    add("bot", {"text": reply, "data": {"elements": None, "quick_replies": None, "buttons": [
        {"title": "Ya, membantu", "payload": "/affirm"}], "attachment": None, "image": None, "custom": None},
        "metadata": {"utter_action": "action_kb_answer"}})
    add("slot", {"name": "kb_article", "value": article})
    add("bot", {"text": "Apakah jawaban ini membantu?", "data": {}, "metadata": {}})
    action("action_listen")
    return rows


def generate(events: int, senders: int, seed: int = 12) -> Iterator[List[Tuple]]:
    """Chunks of rows in store order (sessions sorted by start over two years)."""
    rng = random.Random(seed)
    sessions = events // 10
    starts = sorted(rng.uniform((NOW - SPAN).timestamp(), NOW.timestamp() - 60) for _ in range(sessions))
    chunk: List[Tuple] = []
    for start in starts:
        chunk += session_events(f"tg-{rng.randrange(100_000, 100_000 + senders)}", start, rng)
        if len(chunk) >= 20_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def create_table(url: str) -> None:
    """Rasa's own ``events`` table (with its ``sender_id`` index), created by Rasa's SQL tracker store."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=parsed.database)
    else:
        store = SQLTrackerStore(Domain.empty(), dialect="postgresql", host=parsed.host, port=parsed.port or 5432,
                                db=parsed.database, username=parsed.username, password=parsed.password)
    store.engine.dispose()


def fill(url: str, events: int, senders: int) -> int:
    create_table(url)
    parsed, total = make_url(url), 0
    columns = "sender_id, type_name, timestamp, intent_name, action_name, data"
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database)
        for chunk in generate(events, senders):
            connection.executemany(f"INSERT INTO events ({columns}) VALUES (?, ?, ?, ?, ?, ?)", chunk)
            connection.commit()
            total += len(chunk)
        connection.close()
        return total
    engine = sa.create_engine(url, future=True)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for chunk in generate(events, senders):
            buffer = io.StringIO()
            csv.writer(buffer).writerows(chunk)
            buffer.seek(0)
            cursor.copy_expert(f"COPY events ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
            raw.commit()
            total += len(chunk)
        cursor.execute("ANALYZE events")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return total


def child(url: str, cutoff: float, batch: int) -> None:
    """In the child process: the tracker-store purge exactly as ``python -m bot.privacy purge`` runs it."""
    from bot.privacy import tracker
    from bot.privacy.batches import checkpoint, open_engine

    engine = open_engine(url)
    started = time.perf_counter()
    deleted = tracker.purge(engine, datetime.fromtimestamp(cutoff, timezone.utc), batch)
    checkpoint(engine)
    seconds = time.perf_counter() - started
    engine.dispose()
    print(json.dumps({"seconds": seconds, "deleted": deleted}))


class Writer(threading.Thread):
    """The live assistant saving turns: one short insert transaction every 20 ms, each wait recorded."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, future=True, connect_args={"timeout": 30}
                                       if url.startswith("sqlite") else {})
        self.waits: List[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        statement = sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                            "('tg-live', 'action', :t, '{\"event\": \"action\"}')")
        while not self.done.is_set():
            started = time.perf_counter()
            with self.engine.begin() as connection:
                connection.execute(statement, {"t": NOW.timestamp()})   # a turn of today: never purged
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        self.engine.dispose()


def run(url: str, label: str, events: int, senders: int, batch: int) -> Dict[str, Any]:
    started = time.perf_counter()
    filled = fill(url, events, senders)
    fill_seconds = time.perf_counter() - started
    cutoff = (NOW - timedelta(days=90)).timestamp()
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        expected = connection.execute(sa.text("SELECT count(*) FROM events WHERE timestamp < :c"),
                                      {"c": cutoff}).scalar()
    engine.dispose()
    writer = Writer(url)
    writer.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([sys.executable, __file__, "--child", url, str(cutoff), str(batch)], check=True,
                            capture_output=True, text=True, cwd=ROOT)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    writer.done.set()
    writer.join(10)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["deleted"] == expected, (measured, expected)
    waits = sorted(writer.waits) or [0.0]
    return {"store": label, "rows": filled, "fill_s": round(fill_seconds, 1), "deleted": measured["deleted"],
            "purge_s": round(measured["seconds"], 2), "rows_per_s": round(measured["deleted"] / measured["seconds"]),
            "peak_mb": round(max(peak_kb, before) / 1024, 1), "writer_turns": len(writer.waits),
            "writer_wait_p50_ms": round(statistics.median(waits) * 1000, 1),
            "writer_wait_max_ms": round(waits[-1] * 1000, 1)}


def postgres_database(server: str) -> Tuple[str, callable]:
    """A new database on ``server`` and the function dropping it."""
    name = f"privacy_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--senders", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5000, help="rows per purge transaction (PRIVACY_PURGE_BATCH)")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, help="also on PostgreSQL (server URL)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite file in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-privacy-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = [run(f"sqlite:///{folder / 'tracker.db'}", "SQLite", args.events, args.senders, args.batch)]
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    if args.postgres:
        url, drop = postgres_database(args.postgres)
        try:
            results.append(run(url, "PostgreSQL", args.events, args.senders, args.batch))
        finally:
            drop()
    for result in results:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
