"""Support-analytics report on large data: generates synthetic conversations in the real event shape (as Rasa's
event broker publishes them) into a temporary analytics database, with their tickets and live handoffs in a
temporary ticket database, then times ``python -m bot.report`` on them (prints figures; not a test).

    .venv/bin/python bench/report_bench.py [--conversations 10000,100000] [--keep DIR]

The events mirror what the assistant really emits (checked against a conversation held with the running
servers): ``session_started``, ``user`` with full ``parse_data``, ``user_featurization``, ``action``, ``bot``
(the actions' own copy, article texts and buttons), every ``slot`` the report form sets, ``followup`` and
``active_loop``. Customers ask the knowledge base's own example questions (varied), some questions the
knowledge base cannot answer, report problems that end in tickets; agents answer, resolve and get rated.
"""
from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from actions.buttons import agent_button, article_buttons, article_text, feedback_buttons  # noqa: E402
from actions.reporting import details as d  # noqa: E402
from actions.reporting.state import BOOKKEEPING_SLOTS  # noqa: E402
from bot import wording  # noqa: E402
from bot.analytics.events import open_engine  # noqa: E402
from bot.tickets.database import connect  # noqa: E402
from bot.tickets.ids import format_ticket_id, ticket_day  # noqa: E402
from bot.tickets.model import WIB  # noqa: E402
from bot.tickets.schema import handoff_messages, handoffs, tickets  # noqa: E402
from bot.tickets.sla import add_operating_time, configured_hours, sla_due  # noqa: E402
from kb.articles import Article, load_articles  # noqa: E402

META = {"model_id": "f78ed0326d7d418796a09d2bea2e3752", "assistant_id": "kripto-cs"}
INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human",
           "report_withdrawal_problem", "report_deposit_problem", "out_of_scope", "ask_knowledge", "choose_article",
           "share_secret")
CHANNELS = (("telegram", 0.45), ("whatsapp", 0.3), ("socketio", 0.2), ("rest", 0.05))
REPORT_SLOTS = d.FORM_SLOTS + BOOKKEEPING_SLOTS
# Questions the knowledge base has no article for (what the gap list should surface), with phrasings.
GAP_TOPICS = (
    ("futures", ("bisa trading futures gak disini", "ada fitur margin trading?", "leverage 10x bisa ga min",
                 "kapan ada futures usdt", "mau long short btc pake leverage bisa?")),
    ("kartu kredit", ("bayar pakai kartu kredit bisa?", "top up pake kartu kredit visa bisa?",
                      "deposit lewat cc bisa gak kak", "beli kripto pake kartu kredit gimana")),
    ("harga beda", ("kenapa harga btc beda sama binance", "harga di aplikasi kok beda sm indodax",
                    "kok harga usdt disini lebih mahal", "selisih harga jual beli kok gede banget")),
    ("nft", ("gimana cara beli nft", "bisa jual nft disini ga", "nft saya bisa disimpan di aplikasi?")),
    ("airdrop", ("airdrop token kapan dibagikan", "kok airdrop saya belum masuk", "cara ikut airdrop gimana min")),
    ("api", ("ada api buat bot trading?", "cara bikin api key", "api key saya error terus")),
)
PANIC_TEXTS = ("tolong dana saya hilang!! wd gagal dari semalem", "wd ke {bank} gagal udah 3 jam, uang saya mana??",
               "deposit {amount} belum masuk juga, gimana ini", "saldo saya berkurang sendiri, takut banget",
               "PENARIKAN SAYA GAGAL TERUS TOLONG", "kapan dana saya kembali, sudah 2 hari")
SUFFIXES = ("", "", "", " kak", " min", "?", " dong", " ya", " gan", " pls")
CONTEXTS = ("udah {n} menit", "dari {n} jam lalu", "pake hp", "di aplikasi android", "di web", "buat {amount}rb",
            "sebesar Rp{amount}.000", "untuk {coin}", "soalnya mau {coin}", "tadi jam {n}", "sejak kemarin",
            "akun baru {n} hari", "padahal sudah verifikasi", "pertama kali", "lagi buru2", "mohon dijelaskan",
            "saya pemula", "dari iphone", "pakai wifi kantor", "udah coba {n}x")
COINS = ("BTC", "ETH", "USDT", "BNB", "SOL", "DOGE", "XRP", "ADA")
BANKS = ("BCA", "BRI", "Mandiri", "BNI", "Jago")
TICKETS_PER_PART = 5000  # ticket id sequences of parallel parts start this far apart (per day)


def pick(rng: random.Random, weighted: Sequence[Tuple[Any, float]]) -> Any:
    return rng.choices([item for item, _ in weighted], [weight for _, weight in weighted])[0]


def vary(rng: random.Random, text: str) -> str:
    """A customer's own phrasing: context, a suffix, sometimes a typo or lower case (most messages end up
    unique, as real customers' are)."""
    if rng.random() < 0.25 and len(text) > 8:
        at = rng.randrange(1, len(text) - 2)
        text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    if rng.random() < 0.4:
        text = text.lower()
    if rng.random() < 0.7:
        context = rng.choice(CONTEXTS).format(n=rng.randint(2, 59), amount=rng.randint(1, 99) * 50,
                                              coin=rng.choice(COINS))
        text = text.rstrip("?") + " " + context
    return text.rstrip("?") + rng.choice(SUFFIXES) if rng.random() < 0.6 else text


@dataclass
class TicketSeed:
    """A ticket the conversation created, for the ticket database."""

    customer_id: str
    channel: str
    created_at: datetime
    category: str
    priority: str
    sentiment: str
    ticket_id: str


@dataclass
class Recorder:
    """Builds one customer's events with a running clock, shaped like Rasa's ``Event.as_dict()``."""

    sender_id: str
    channel: str
    clock: float
    rng: random.Random
    events: List[Dict[str, Any]] = field(default_factory=list)

    def _add(self, kind: str, metadata: Optional[Dict[str, Any]] = None, **fields: Any) -> None:
        self.clock += self.rng.uniform(0.002, 0.03)
        self.events.append({"sender_id": self.sender_id, "event": kind, "timestamp": round(self.clock, 6),
                            "metadata": metadata or META, **fields})

    def action(self, name: str, policy: Optional[str] = "RulePolicy") -> None:
        self._add("action", name=name, policy=policy, confidence=1.0 if policy or name != "action_listen" else None,
                  action_text=None, hide_rule_turn=policy == "RulePolicy")

    def session(self) -> None:
        self.action("action_session_start", policy=None)
        self._add("session_started")
        self.action("action_listen", policy=None)

    def user(self, text: str, intent: str, entities: Sequence[Dict[str, Any]] = (), secrets: Sequence[str] = (),
             think: Tuple[float, float] = (4.0, 50.0)) -> None:
        self.clock += self.rng.uniform(*think)
        message_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        payload = text.startswith("/")
        ranking = [{"name": intent, "confidence": 1.0 if payload else round(self.rng.uniform(0.55, 0.99), 6)}]
        if not payload:
            ranking += [{"name": name, "confidence": self.rng.random() * 0.01}
                        for name in self.rng.sample([i for i in INTENTS if i != intent], 9)]
        parse_data: Dict[str, Any] = {"intent": {"name": intent, "confidence": ranking[0]["confidence"]},
                                      "entities": list(entities), "text": text.lower(), "message_id": message_id,
                                      "metadata": {"redacted_secrets": list(secrets)} if secrets else {}}
        if not payload:
            spans, start = [], 0
            for word in text.split():
                start = text.index(word, start)
                spans.append([start, start + len(word)])
                start += len(word)
            parse_data["text_tokens"] = spans
        parse_data["intent_ranking"] = ranking
        metadata = {"redacted_secrets": list(secrets), **META} if secrets else META
        self._add("user", metadata=metadata, text=text, parse_data=parse_data, input_channel=self.channel,
                  message_id=message_id)
        self._add("user_featurization", use_text_for_featurization=False)

    def bot(self, text: str, buttons: Optional[List[Dict[str, str]]] = None, template: Optional[str] = None) -> None:
        metadata = {"utter_action": template, "template": template, **META} if template else META
        self._add("bot", metadata=metadata, text=text, data={"elements": None, "quick_replies": None,
                                                              "buttons": buttons, "attachment": None, "image": None,
                                                              "custom": None})

    def slot(self, name: str, value: Any) -> None:
        self._add("slot", name=name, value=value)

    def listen(self) -> None:
        self.action("action_listen")


class Traffic:
    """Synthetic support traffic: conversations (events) and the tickets they create."""

    def __init__(self, rng: random.Random, articles: Dict[str, Article], ticket_offset: int = 0) -> None:
        self.rng = rng
        self.articles = articles
        self.article_ids = list(articles)
        self.popular = [(article_id, 1.0 / (rank + 1) ** 0.8) for rank, article_id in enumerate(self.article_ids)]
        self.tickets: List[TicketSeed] = []
        self.per_day: Dict[str, int] = {}  # ticket id sequence per WIB day
        self.ticket_offset = ticket_offset  # parts generated in parallel number their tickets apart

    # ---------------------------------------------------------------- building blocks

    def question_for(self, article_id: str) -> str:
        return vary(self.rng, self.rng.choice(self.articles[article_id].questions))

    def answer(self, r: Recorder, article_id: str, shown: List[str], intro: Optional[str] = None,
               action: str = "action_kb_answer", follow_up: bool = True) -> None:
        r.action(action)
        if intro:
            r.bot(intro)
        r.bot(article_text(self.articles[article_id]))
        if follow_up:
            r.bot(wording.ASK_HELPFUL, feedback_buttons())
        else:
            r.bot(wording.REPORT_COLLECT)
        if article_id not in shown:
            shown.append(article_id)
        r.slot("kb_article", article_id)
        r.slot("kb_shown", list(shown))

    def report_form(self, r: Recorder, problem: str, description: str, category: str, priority: str,
                    sentiment: str, complete: bool = True) -> None:
        for name in REPORT_SLOTS:
            value = {"report_problem": problem, "report_description": description, "report_checks": {},
                     "report_failures": {}, "report_pending": {}, "report_secrets": []}.get(name)
            r.slot(name, value)
        r._add("followup", name="problem_report_form")
        r.action("problem_report_form", policy="followup_action")
        r._add("active_loop", name="problem_report_form")
        answers = [("Rupiah", "report_asset"), (f"{self.rng.randint(1, 40) * 250}rb", "report_amount"),
                   ("kemarin jam 10", "report_time"), (f"{self.rng.choice(BANKS)} {self.rng.randint(1000, 9999)}",
                                                       "report_bank_account"), ("ya, benar", "report_confirmed")]
        for text, slot in answers[: len(answers) if complete else 2]:
            r.slot("requested_slot", slot)
            r.bot(f"Pertanyaan untuk {slot}", [{"title": "Tidak tahu", "payload": "tidak tahu"}])
            r.listen()
            r.user(text, "affirm", think=(5.0, 40.0))
            r.action("problem_report_form")
            r.slot(slot, text)
            r.slot("report_checks", {slot: {"status": "valid", "display": text}})
            r.slot("report_processed", uuid.UUID(int=self.rng.getrandbits(128)).hex)
        if not complete:
            r.user("batal", "affirm")
            r.action("problem_report_form")
            r.slot("report_outcome", "cancelled")
        r.slot("requested_slot", None)
        r._add("active_loop", name=None)
        r.action("action_finish_report")
        if complete:
            created = datetime.fromtimestamp(r.clock, tz=timezone.utc)
            day = ticket_day(created)
            self.per_day[day] = self.per_day.get(day, self.ticket_offset) + 1
            seed = TicketSeed(r.sender_id, r.channel, created, category, priority, sentiment,
                              format_ticket_id(day, self.per_day[day]))
            self.tickets.append(seed)
            r.bot(wording.TICKET_CREATED.format(ticket_id=seed.ticket_id))
            r.bot(wording.TICKET_IN_HOURS.format(due="hari ini pukul 14.30 WIB"))
        else:
            r.bot(wording.REPORT_CANCELLED)
        for name in REPORT_SLOTS + ("requested_slot",):
            r.slot(name, None)
        if complete:
            r.slot("handoff_ticket", seed.ticket_id)
        r.listen()

    # ---------------------------------------------------------------- scenarios

    def conversation(self, sender_id: str, channel: str, start: float) -> List[Dict[str, Any]]:
        r = Recorder(sender_id, channel, start, self.rng)
        r.session()
        scenario = pick(self.rng, (("helpful", 0.28), ("answered", 0.2), ("not_helpful", 0.08), ("clarify_pick", 0.07),
                                   ("clarify_leave", 0.05), ("fallback", 0.07), ("panic", 0.1), ("human", 0.04),
                                   ("secret", 0.02), ("smalltalk", 0.09)))
        getattr(self, f"_{scenario}")(r, [])
        return r.events

    def returning(self, sender_id: str, channel: str, start: float) -> List[Dict[str, Any]]:
        """A customer back hours after an answer, now reporting a problem that ends in a ticket."""
        r = Recorder(sender_id, channel, start, self.rng)
        r.session()
        self._panic(r, [], complete=True)
        return r.events

    def _greet(self, r: Recorder) -> None:
        if self.rng.random() < 0.35:
            r.user(vary(self.rng, self.rng.choice(("halo", "hai min", "selamat siang", "permisi"))), "greet",
                   think=(0.0, 0.0))
            r.action("action_greet")
            r.bot(wording.GREETINGS_BY_NAME[0].format(name="Kak"))
            r.listen()

    def _ask(self, r: Recorder, shown: List[str], article_id: Optional[str] = None) -> str:
        self._greet(r)
        article_id = article_id or pick(self.rng, self.popular)
        r.user(self.question_for(article_id), "ask_knowledge", think=(0.0, 30.0))
        self.answer(r, article_id, shown)
        r.listen()
        return article_id

    def _helpful(self, r: Recorder, shown: List[str]) -> None:
        self._ask(r, shown)
        r.user("/affirm", "affirm")
        r.action("action_handle_feedback")
        r.bot(wording.GLAD)
        r.slot("kb_helpful", True)
        r.listen()

    def _answered(self, r: Recorder, shown: List[str]) -> None:
        self._ask(r, shown)
        if self.rng.random() < 0.4:
            r.user(vary(self.rng, "makasih"), "thank")
            r.action("utter_thank")
            r.bot("Sama-sama, senang bisa membantu! Ada lagi yang bisa saya bantu?", template="utter_thank")
            r.listen()

    def _not_helpful(self, r: Recorder, shown: List[str]) -> None:
        article_id = self._ask(r, shown)
        r.user("/deny", "deny")
        r.action("action_handle_feedback")
        r.bot(wording.NOT_HELPFUL_REPORT)
        r.slot("kb_helpful", False)
        self.report_form(r, "withdrawal", self.articles[article_id].title, "other", "normal", "calm",
                         complete=self.rng.random() < 0.7)

    def _gap_text(self) -> str:
        _, phrasings = self.rng.choice(GAP_TOPICS)
        return vary(self.rng, self.rng.choice(phrasings))

    def _clarify(self, r: Recorder) -> List[str]:
        self._greet(r)
        r.user(self._gap_text(), "ask_knowledge", think=(0.0, 30.0))
        r.action("action_kb_answer")
        offered = self.rng.sample(self.article_ids, 3)
        r.bot(wording.CLARIFY, article_buttons(self.articles[a] for a in offered))
        r.slot("kb_article", None)
        r.listen()
        return offered

    def _clarify_pick(self, r: Recorder, shown: List[str]) -> None:
        chosen = self._clarify(r)[0]
        r.user(f'/choose_article{{"article_id":"{chosen}"}}', "choose_article",
               entities=[{"entity": "article_id", "value": chosen}])
        self.answer(r, chosen, shown)
        r.listen()

    def _clarify_leave(self, r: Recorder, shown: List[str]) -> None:
        self._clarify(r)

    def _fallback(self, r: Recorder, shown: List[str]) -> None:
        r.user(self._gap_text(), "nlu_fallback", think=(0.0, 30.0))
        r.action("action_kb_answer")
        r.bot(wording.UNCLEAR)
        r.slot("kb_article", None)
        r.listen()

    def _panic(self, r: Recorder, shown: List[str], complete: Optional[bool] = None) -> None:
        text = self.rng.choice(PANIC_TEXTS).format(bank=self.rng.choice(BANKS), amount="1,5 jt")
        deposit = "deposit" in text
        r.user(text, "report_deposit_problem" if deposit else "report_withdrawal_problem", think=(0.0, 30.0))
        article_id = "deposit-rupiah-belum-masuk" if deposit else "penarikan-gagal"
        self.answer(r, article_id, shown, intro=wording.REPORT_EMPATHY, action="action_report_problem",
                    follow_up=False)
        self.report_form(r, "deposit" if deposit else "withdrawal", text,
                         "deposit_idr" if deposit else "withdrawal_idr",
                         pick(self.rng, (("high", 0.6), ("normal", 0.4))),
                         "upset", complete=self.rng.random() < 0.8 if complete is None else complete)

    def _human(self, r: Recorder, shown: List[str]) -> None:
        r.user(vary(self.rng, "mau bicara dengan agen"), "request_human", think=(0.0, 30.0))
        r.action("action_request_human")
        r.bot(wording.HUMAN_INTRO.format(hours=wording.agent_hours_text()))
        self.report_form(r, "other", "", pick(self.rng, (("other", 0.5), ("fraud", 0.2), ("hacked_account", 0.3))),
                         pick(self.rng, (("urgent", 0.3), ("normal", 0.7))), "calm")

    def _secret(self, r: Recorder, shown: List[str]) -> None:
        kind = pick(self.rng, (("seed_phrase", 0.5), ("password", 0.3), ("otp", 0.2)))
        r.user(f"ini {kind.replace('_', ' ')} saya [DIHAPUS: {kind.replace('_', ' ')}]", "share_secret",
               secrets=[kind], think=(0.0, 30.0))
        r.action("action_warn_secret")
        r.bot(wording.SECRET_WARNING.format(what=wording.SECRET_NAMES[kind]))
        r.bot(wording.SECRET_STEPS, [agent_button()])
        r.listen()

    def _smalltalk(self, r: Recorder, shown: List[str]) -> None:
        self._greet(r)
        r.user(vary(self.rng, "kamu bot ya"), "bot_challenge")
        r.action("utter_iamabot")
        r.bot("Saya asisten virtual (bot), bukan manusia.", template="utter_iamabot")
        r.listen()


def conversation_starts(rng: random.Random, count: int, end: datetime, days: int) -> List[float]:
    """Start times over the last ``days`` days, busier by day (WIB) than at night."""
    hour_weights = [1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 9, 9, 10, 10, 9, 8, 8, 9, 10, 9, 6, 3]
    first_midnight = datetime.combine((end.astimezone(WIB) - timedelta(days=days - 1)).date(), datetime.min.time(),
                                      tzinfo=WIB)
    starts = []
    while len(starts) < count:
        day = rng.randrange(days)
        hour = rng.choices(range(24), hour_weights)[0]
        at = first_midnight + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3600))
        if at < end:
            starts.append(at.timestamp())
    return sorted(starts)


def sender_for(rng: random.Random, channel: str) -> str:
    if channel == "telegram":
        return f"tg-{rng.randint(10**8, 10**10)}"
    if channel == "whatsapp":
        return f"628{rng.randint(10**9, 10**10)}"
    return uuid.UUID(int=rng.getrandbits(128)).hex


def generate_part(task: Tuple[int, List[float], float, int, str]) -> List[TicketSeed]:
    """Generate the conversations starting at ``starts`` into a SQLite events table at ``path``, in
    timestamp order (as the broker publishes them); return the tickets they created."""
    index, starts, end, seed, path = task
    rng = random.Random(seed * 1000 + index)
    traffic = Traffic(rng, load_articles(), ticket_offset=index * TICKETS_PER_PART)
    engine = open_engine(f"sqlite:///{path}")
    pending: List[Tuple[float, int, str, str]] = []  # events not yet written, a heap by timestamp
    rows: List[Tuple[str, str]] = []
    returning: List[Tuple[float, str, str]] = []  # customers who come back later and file a ticket
    sequence = 0

    def flush(before: float) -> None:
        while pending and pending[0][0] < before:
            _, _, sender, data = heapq.heappop(pending)
            rows.append((sender, data))
        if len(rows) >= 20_000 or before == float("inf"):
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO events (sender_id, data) VALUES (?, ?)", rows)
            rows.clear()

    def add(events: List[Dict[str, Any]]) -> None:
        nonlocal sequence
        for event in events:
            sequence += 1
            heapq.heappush(pending, (event["timestamp"], sequence, event["sender_id"],
                                     json.dumps(event, ensure_ascii=False)))

    for start in starts:
        while returning and returning[0][0] <= start:
            at, sender, channel = heapq.heappop(returning)
            add(traffic.returning(sender, channel, at))
        flush(start)
        channel = pick(rng, CHANNELS)
        sender = sender_for(rng, channel)
        events = traffic.conversation(sender, channel, start)
        add(events)
        comeback = events[-1]["timestamp"] + rng.uniform(2 * 3600, 30 * 3600)
        if rng.random() < 0.05 and comeback < end - 3600:
            heapq.heappush(returning, (comeback, sender, channel))
    flush(float("inf"))
    engine.dispose()
    return traffic.tickets


def merge_parts(target: str, parts: Sequence[str]) -> int:
    """Append the parts' events to the SQLite database at ``target`` in order; return the events stored."""
    connection = sqlite3.connect(target)
    try:
        for path in parts:
            connection.execute("ATTACH DATABASE ? AS part", (path,))
            connection.execute("INSERT INTO events (sender_id, data) "
                               "SELECT sender_id, data FROM part.events ORDER BY id")
            connection.commit()
            connection.execute("DETACH DATABASE part")
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        connection.close()


def write_synthetic(analytics_url: str, tickets_url: str, count: int, end: datetime, days: int = 7,
                    seed: int = 7, workers: int = 2) -> Dict[str, int]:
    """Generate ``count`` conversations of the ``days`` days before ``end`` into both databases (SQLite
    analytics database); return how many events and tickets were written."""
    if not analytics_url.startswith("sqlite:///"):
        raise ValueError("the synthetic events are written to a SQLite analytics database")
    starts = conversation_starts(random.Random(seed), count, end, days)
    parts = max(1, min(workers, count // 1000 or 1))
    size = -(-len(starts) // parts)
    with tempfile.TemporaryDirectory(prefix="report-bench-") as scratch:
        tasks = [(index, starts[index * size:(index + 1) * size], end.timestamp(), seed,
                  str(Path(scratch) / f"part{index}.db")) for index in range(parts)]
        if parts == 1:
            seeds = [generate_part(tasks[0])]
        else:
            with multiprocessing.get_context("fork").Pool(parts) as pool:
                seeds = pool.map(generate_part, tasks)
        open_engine(analytics_url).dispose()  # creates the events table
        written = merge_parts(analytics_url[len("sqlite:///"):], [task[4] for task in tasks])
    all_seeds = [seed_ for part in seeds for seed_ in part]
    return {"events": int(written), "tickets": write_tickets(tickets_url, all_seeds, end, random.Random(seed))}


def write_tickets(tickets_url: str, seeds: List[TicketSeed], end: datetime, rng: random.Random) -> int:
    """Insert the tickets and their handoffs (claimed, answered, resolved, rated as agents would)."""
    database = connect(tickets_url)
    hours = configured_hours()
    ticket_rows, handoff_rows, warning_rows = [], [], []
    medians = {"urgent": 20.0, "high": 70.0, "normal": 300.0}  # operating minutes to the first reply
    for seed in seeds:
        created = seed.created_at
        due = sla_due(created, seed.priority, hours)
        reply = add_operating_time(created, timedelta(minutes=rng.lognormvariate(0, 0.8) * medians[seed.priority]),
                                   hours)
        left = rng.random() < 0.05
        replied = not left and reply < end
        resolved = (add_operating_time(reply, timedelta(minutes=rng.lognormvariate(4.0, 1.0)), hours)
                    if replied else None)
        resolved = resolved if resolved is not None and resolved < end and rng.random() < 0.85 else None
        rating = None
        if resolved is not None and rng.random() < 0.6:
            rating = pick(rng, ((5, 0.45), (4, 0.25), (3, 0.12), (2, 0.08), (1, 0.1)))
        state = "left" if left else "resolved" if resolved else "with_agent" if replied else "waiting"
        ticket_rows.append({"id": seed.ticket_id, "status": "closed" if resolved or left else "open",
                            "created_at": created, "sla_due_at": due, "closed_at": resolved,
                            "customer_id": seed.customer_id, "customer_name": None, "channel": seed.channel,
                            "category": seed.category, "priority": seed.priority, "sentiment": seed.sentiment,
                            "summary": f"Laporan {seed.category}", "details": [], "kb_articles": [], "transcript": [],
                            "flags": [], "dedupe_key": None})
        handoff_rows.append({
            "ticket_id": seed.ticket_id, "customer_id": seed.customer_id, "channel": seed.channel, "state": state,
            "created_at": created, "claimed_at": reply - timedelta(minutes=2) if replied else None,
            "agent_desk": "telegram_agen" if replied else None, "agent_id": "8101" if replied else None,
            "agent_name": "Rina" if replied else None, "first_reply_at": reply if replied else None,
            "resolved_at": resolved, "last_customer_at": created, "notice_sent_at": created,
            "unclaimed_notice_at": None, "survey": "done" if rating else "asked" if resolved else "none",
            "survey_sent_at": resolved, "rating": rating,
            "rated_at": resolved + timedelta(minutes=3) if resolved and rating else None,
            "comment": None})
        if replied and rng.random() < 0.01:
            warning_rows.append({"ticket_id": seed.ticket_id, "direction": "to_customer", "author": "system",
                                 "text": wording.SECRET_WARNING.format(what="kode OTP"), "buttons": [],
                                 "created_at": reply + timedelta(minutes=5), "dedupe_key": None})
    with database.writer.begin() as connection:
        for table, rows in ((tickets, ticket_rows), (handoffs, handoff_rows), (handoff_messages, warning_rows)):
            if rows:
                connection.execute(sa.insert(table), rows)
    database.reader.dispose()
    return len(ticket_rows)


# ---------------------------------------------------------------- timing the report

def generated(directory: Path, count: int, end: datetime, seed: int) -> Tuple[str, str, Optional[float]]:
    """URLs of a generated data set in ``directory`` (generated now unless it is already there) and how long
    generating took (None when reused)."""
    analytics, tickets_db = directory / "analytics.db", directory / "tickets.db"
    done = directory / "complete"
    if done.exists():
        return f"sqlite:///{analytics}", f"sqlite:///{tickets_db}", None
    directory.mkdir(parents=True, exist_ok=True)
    for path in (analytics, tickets_db):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    written = write_synthetic(f"sqlite:///{analytics}", f"sqlite:///{tickets_db}", count, end, seed=seed)
    done.write_text(json.dumps({**written, "end": end.isoformat()}), encoding="utf-8")
    return f"sqlite:///{analytics}", f"sqlite:///{tickets_db}", time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children (report workers, the CLI)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_cli(analytics: str, tickets_db: str, out: Path, fmt: str, until: str) -> Tuple[float, float]:
    """Wall and CPU time of ``python -m bot.report --since 7d --format fmt`` as a user runs it (imports
    included)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run([sys.executable, "-m", "bot.report", "--since", "7d", "--until", until, "--format", fmt,
                    "--out", str(out), "--analytics-db", analytics, "--tickets-db", tickets_db], check=True, cwd=ROOT,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, cpu_seconds() - cpu


def bench(count: int, directory: Path, seed: int) -> None:
    from bot.analytics.report_html import render_html
    from bot.report.build import ReportRequest, Stopwatch, build_report
    from bot.report.period import parse_period

    end = datetime.now(timezone.utc).replace(microsecond=0)
    marker = directory / "complete"
    if marker.exists():
        end = datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["end"])
    analytics, tickets_db, generation = generated(directory, count, end, seed)
    facts = json.loads(marker.read_text(encoding="utf-8"))
    size_mb = (directory / "analytics.db").stat().st_size / 2**20
    print(f"\n{count:,} conversations: {facts['events']:,} events ({size_mb:,.0f} MB SQLite), "
          f"{facts['tickets']:,} tickets"
          + (f"; generated in {generation:.1f} s" if generation is not None else "; data set reused"))
    until = end.astimezone(WIB).date().isoformat()
    period = parse_period("7d", until, end)
    stopwatch = Stopwatch()
    started, cpu = time.perf_counter(), cpu_seconds()
    report = build_report(ReportRequest(period=period, analytics_db_url=analytics, tickets_db_url=tickets_db),
                          stopwatch=stopwatch)
    html = render_html(report)
    stopwatch.lap("html (charts + template)")
    json.dumps(report, ensure_ascii=False)
    stopwatch.lap("json")
    total, total_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    totals = report["metrics"]["totals"]
    print(f"  report covers {totals['conversations']:,} conversations, {totals['tickets']:,} tickets, "
          f"{report['gaps']['messages']:,} gap messages ({report['gaps']['sampled']} embedded); "
          f"HTML {len(html) / 1024:,.0f} KB")
    for step, seconds in stopwatch.steps.items():
        print(f"  {step:28} {seconds:7.2f} s")
    print(f"  {'in-process total':28} {total:7.2f} s wall, {total_cpu:6.2f} s CPU (all processes)")
    for fmt in ("html", "json"):
        wall, used = time_cli(analytics, tickets_db, directory / f"report.{fmt}", fmt, until)
        print(f"  {'CLI end to end, ' + fmt:28} {wall:7.2f} s wall, {used:6.2f} s CPU")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated data sets in this directory")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.conversations.split(",") if part.strip()]
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"report bench on {multiprocessing.cpu_count()} cores (load average before: {load}; wall times grow with "
          "other work on the machine, CPU times much less)")
    with tempfile.TemporaryDirectory(prefix="report-bench-") as scratch:
        base = args.keep or Path(scratch)
        for count in counts:
            bench(count, base / f"{count}-seed{args.seed}", args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
