"""Chaos tests on the production topology as processes on loopback (:class:`bot.cluster.Cluster`): two
replicas (Rasa + action server each) behind HAProxy running deploy/haproxy.cfg, under the supervisor, on a
private PostgreSQL (tracker, tickets, channel state) and a private Redis (lock store).

Each case drives a bounded REST load through HAProxy (fixed conversations x messages, one thread per
conversation, every request and wait with a timeout), injects one fault, and counts per message what the
client got and how often the shared tracker recorded it (:mod:`bot.chaos_tally`). The one-line summary of
each case is printed and appended to ``var/chaos/results.txt``.

Ports: HAProxy 16400 (statistics 16401), replicas 16410/16415 and 16420/16425, PostgreSQL 16430, Redis
16431, the helpdesk webhook 16432.
"""
from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set

import pytest
import requests

from bot import wording
from bot.chaos_tally import (
    Attempt,
    Outcome,
    Tally,
    classify,
    is_real_answer,
    is_recorded_answer,
    recorded_counts,
    recovery_seconds,
    tally,
)
from bot.cluster import Cluster, ClusterSettings, Replica
from bot.local_services import PrivatePostgres, PrivateRedis, wait_for_port
from bot.servers import ROOT
from bot.tickets import TicketStore, open_store
from bot.wording import APOLOGY
from tests.tickets.fakes import WebhookReceiver

pytestmark = pytest.mark.integration

CLUSTER_PORT, PG_PORT, REDIS_PORT, WEBHOOK_PORT = 16400, 16430, 16431, 16432
WORK_DIR = ROOT / "var" / "chaos"
RESULTS = WORK_DIR / "results.txt"
REQUEST_TIMEOUT_S = 90.0          # above HAProxy's 75 s server timeout: HAProxy always answers first
UNEXPECTED = (wording.FLOOD_SLOW_DOWN, wording.BUSY)   # replies that mean the load itself is wrong
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")
# Questions answered by custom actions (knowledge base, greeting), so a dead action server shows.
QUESTIONS = ("cara deposit rupiah", "apa itu staking", "saya lupa password", "halo")
# A failed rupiah withdrawal reported and confirmed: the last turn stores a ticket (see test_report_flow.py).
REPORT_FLOW = ("tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong", "1,5 jt",
               "kemarin jam 10", "tidak tahu", "1234", "/affirm")
PG_DOWN_S = 5.0                   # PostgreSQL is held down this long
PG_RECOVERY_S = 15.0              # stated: recorded answers again within this long after PostgreSQL is back
REDIS_DOWN_S = 8.0
ACTIONS_RECOVERY_S = 30.0         # the issue: real answers again within 30 s of an action server SIGKILL


# -- the load ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Script:
    """One conversation: its messages in order (each text unique in it), after ``delay_s``."""

    conversation: str
    texts: Sequence[str]
    delay_s: float = 0.0


def chat_script(conversation: str, messages: int) -> Script:
    """``messages`` questions, each with a marker that makes its text unique (``... zq07``)."""
    return Script(conversation, [f"{QUESTIONS[i % len(QUESTIONS)]} zq{i:02d}" for i in range(messages)])


@dataclass
class RestLoad:
    """Conversations over REST through HAProxy, one thread each; nothing is retried (every attempt counts)."""

    base_url: str
    scripts: Sequence[Script]
    gap_s: float                                  # pause after each answer
    attempts: List[Attempt] = field(default_factory=list)
    _sending: Dict[str, float] = field(default_factory=dict)     # conversation -> when its open request was sent
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: List[threading.Thread] = field(default_factory=list)

    def start(self) -> "RestLoad":
        for script in self.scripts:
            thread = threading.Thread(target=self._run, args=(script,), name=f"load-{script.conversation}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def snapshot(self) -> List[Attempt]:
        with self._lock:
            return list(self.attempts)

    def count(self, outcome: Outcome) -> int:
        return sum(classify(a, APOLOGY, UNEXPECTED) is outcome for a in self.snapshot())

    def in_flight(self, conversations: Set[str], for_s: float) -> bool:
        """True while a request of one of ``conversations`` has been open for at least ``for_s`` seconds
        (it has most likely reached Rasa)."""
        now = time.monotonic()
        with self._lock:
            return any(now - since >= for_s for c, since in self._sending.items() if c in conversations)

    def wait(self, timeout: float) -> List[Attempt]:
        """Every attempt once all conversations are done; AssertionError when one is still running."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        running = [t.name for t in self._threads if t.is_alive()]
        assert not running, f"load still running after {timeout:.0f} s: {running}"
        return self.snapshot()

    def _run(self, script: Script) -> None:
        pause = threading.Event()
        pause.wait(script.delay_s)
        with requests.Session() as session:
            for index, text in enumerate(script.texts):
                if index:
                    pause.wait(self.gap_s)
                with self._lock:
                    self._sending[script.conversation] = time.monotonic()
                attempt = send(session, self.base_url, script.conversation, text)
                with self._lock:
                    del self._sending[script.conversation]
                    self.attempts.append(attempt)


def send(session: requests.Session, base_url: str, conversation: str, text: str) -> Attempt:
    """POST one REST message; what came back as an :class:`Attempt`."""
    sent_at = time.monotonic()
    status: Optional[int] = None
    replies: tuple = ()
    replica = error = ""
    try:
        reply = session.post(f"{base_url}/webhooks/rest/webhook", json={"sender": conversation, "message": text},
                             timeout=REQUEST_TIMEOUT_S)
    except requests.exceptions.ConnectTimeout:
        error = "connection"
    except requests.exceptions.Timeout:
        error = "timeout"
    except requests.exceptions.ConnectionError:
        error = "connection"
    else:
        status, replica = reply.status_code, reply.headers.get("X-Assistant-Replica", "")
        if status == 200:
            try:
                replies = tuple(m.get("text") or "[buttons]" for m in reply.json())
            except (ValueError, AttributeError):
                replies = (f"[not a list of messages: {reply.text[:80]}]",)
    return Attempt(conversation, text, sent_at, time.monotonic(), status, replies, replica, error)


# -- the cluster -----------------------------------------------------------------------------------------
@dataclass
class Chaos:
    """The running cluster with its private services and the helpdesk that receives ticket notifications."""

    cluster: Cluster
    postgres: PrivatePostgres
    redis: PrivateRedis
    helpdesk: WebhookReceiver
    database_url: str

    @property
    def url(self) -> str:
        return self.cluster.settings.url

    def replica(self, name: str) -> Replica:
        return next(r for r in self.cluster.replicas if r.name == name)

    def senders_on(self, replica: str, count: int, prefix: str) -> List[str]:
        """``count`` fresh conversation ids that HAProxy routes to ``replica`` (same hash for reads and writes)."""
        found: List[str] = []
        for n in range(200):
            if len(found) == count:
                break
            sender = f"{prefix}-{n}"
            reply = requests.get(f"{self.url}/webhooks/rest/messages", params={"sender": sender}, timeout=10)
            assert reply.status_code == 200, reply.text
            if reply.headers.get("X-Assistant-Replica") == replica:
                found.append(sender)
        assert len(found) == count, f"only {found} route to {replica}"
        return found

    def user_texts(self, conversations: Sequence[str]) -> Dict[str, List[str]]:
        """The user messages each conversation's tracker holds (Rasa's HTTP API, through HAProxy)."""
        found: Dict[str, List[str]] = {}
        for conversation in conversations:
            reply = requests.get(f"{self.url}/conversations/{conversation}/tracker",
                                 params={"token": self.cluster.settings.api_token}, timeout=30)
            assert reply.status_code == 200, (conversation, reply.status_code, reply.text[:200])
            found[conversation] = [e.get("text") or "" for e in reply.json()["events"] if e["event"] == "user"]
        return found

    def lock_store_status(self, replica: Replica) -> str:
        """The replica's own ``GET /health`` part ``lock_store`` (``ok``/``degraded``; ``?`` when unreadable)."""
        try:
            body = requests.get(f"{replica.url}/health", timeout=5).json()
        except (requests.RequestException, ValueError):
            return "?"
        return body.get("parts", {}).get("lock_store", {}).get("status", "?")

    def ready(self) -> bool:
        supervisor = self.cluster.supervisor
        return bool(supervisor and supervisor.all_healthy and self.cluster.all_replicas_up())


def wait_for(condition: Callable[[], object], timeout: float, what: str, step: float = 0.2) -> float:
    """Seconds until ``condition()`` held; AssertionError after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def kill_group(pid: Optional[int]) -> float:
    """SIGKILL the process group of ``pid`` (a supervised server); the moment it was sent."""
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    return time.monotonic()


def record(result: Tally, attempts: Sequence[Attempt], fault_at: float) -> None:
    """Print the case's line and append it (with the date) to var/chaos/results.txt; every attempt goes to
    var/chaos/<case>.jsonl (times relative to the fault) for a closer look."""
    with (WORK_DIR / f"{result.case}.jsonl").open("w", encoding="utf-8") as detail:
        for a in sorted(attempts, key=lambda a: a.sent_at):
            detail.write(json.dumps({"conversation": a.conversation, "text": a.text,
                                     "sent": round(a.sent_at - fault_at, 2), "done": round(a.done_at - fault_at, 2),
                                     "status": a.status, "error": a.error, "replica": a.replica,
                                     "outcome": classify(a, APOLOGY, UNEXPECTED).value,
                                     "reply": (a.replies[0] if a.replies else "")[:60]}) + "\n")
    line = result.line()
    print(f"\n{line}", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} {line}\n")


def explain(attempts: Sequence[Attempt], recorded: Dict, limit: int = 8) -> str:
    """The attempts that were not plain answers, for an assertion message."""
    odd = [(a.conversation, a.text, a.status, a.error, a.replica, a.replies[:1], recorded.get(a.key, 0))
           for a in attempts if classify(a, APOLOGY, UNEXPECTED) is not Outcome.ANSWERED
           or recorded.get(a.key, 0) != 1]
    return f"{len(odd)} not answered-and-recorded-once, e.g. {odd[:limit]}"


@pytest.fixture(scope="module")
def chaos() -> Iterator[Chaos]:
    """Private PostgreSQL + Redis, the helpdesk webhook and the 2-replica cluster; everything is stopped
    afterwards, also when a case or the start-up fails."""
    postgres, redis_server = PrivatePostgres(PG_PORT), PrivateRedis(REDIS_PORT, WORK_DIR / "redis")
    helpdesk = WebhookReceiver()
    helpdesk.down()
    helpdesk.port = WEBHOOK_PORT
    helpdesk.up()
    try:
        postgres.start()
        redis_server.start()
        database_url = postgres.create_database("kriptocs_chaos")
        config = WORK_DIR / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "notifiers.yml").write_text(
            f"notifiers:\n  helpdesk_webhook:\n    kind: webhook\n    url: '{helpdesk.url}'\n"
            f"    secret: '{helpdesk.secret}'\n", encoding="utf-8")
        (config / "desks.yml").write_text("desks: {}\n", encoding="utf-8")
        settings = ClusterSettings(
            replicas=2, port=CLUSTER_PORT, database_url=database_url, redis_url=redis_server.url, rabbitmq_url="",
            work_dir=WORK_DIR / "cluster",
            extra_env={"NOTIFIERS_CONFIG": str(config / "notifiers.yml"), "DESKS_CONFIG": str(config / "desks.yml"),
                       "TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": ""})
        cluster = Cluster(settings)
        try:
            cluster.start(timeout=420)
            yield Chaos(cluster, postgres, redis_server, helpdesk, database_url)
        finally:
            cluster.stop()
    finally:
        redis_server.remove()
        postgres.remove()
        helpdesk.close()


@pytest.fixture()
def whole(chaos: Chaos) -> Chaos:
    """The cluster as each case starts on it: services up, every process healthy, HAProxy sees both replicas."""
    for service in (chaos.postgres, chaos.redis):
        if not service_up(service.port):
            service.start()
    wait_for(chaos.ready, 300, "the whole cluster healthy before the case", step=0.5)
    return chaos


def service_up(port: int) -> bool:
    try:
        wait_for_port(port, up=True, timeout=1)
    except TimeoutError:
        return False
    return True


# -- the counting, without a cluster ---------------------------------------------------------------------------
def test_the_tally_counts_what_the_client_got_against_the_tracker():
    def attempt(text: str, status: Optional[int], replies: tuple = (), error: str = "", at: float = 0.0) -> Attempt:
        return Attempt("c", text, at, at + 1.0, status, replies, "rasa1", error)

    attempts = [attempt("a", 200, ("jawaban",)), attempt("b", 200, (APOLOGY,)), attempt("c", 502),
                attempt("d", None, error="connection"), attempt("e", None, error="timeout"), attempt("f", 200),
                attempt("g", 200, ("jawaban",)), attempt("h", 200, (wording.FLOOD_SLOW_DOWN,))]
    recorded = recorded_counts({"c": ["a", "b", "b", "c", "h"]})
    result = tally("unit", attempts, recorded, APOLOGY, UNEXPECTED)
    assert (result.sent, result.answered, result.apology, result.retryable, result.other) == (8, 2, 1, 2, 1)
    assert (result.duplicated, result.silent, result.unrecorded, result.lost) == (1, 2, 1, 3)
    assert result.recorded_after_error == 1   # "c": a 502, yet recorded
    assert result.line().startswith("chaos unit: sent=8 answered=2 retryable=2 apology=1 duplicated=1 lost=3 ")


def test_recovery_is_the_first_good_answer_after_the_fault():
    def attempt(conversation: str, sent: float, good: bool) -> Attempt:
        return Attempt(conversation, f"t{sent}", sent, sent + 0.5, 200, ("jawaban",) if good else (APOLOGY,))

    attempts = [attempt("x", 1.0, True), attempt("x", 11.0, False), attempt("x", 14.0, True), attempt("y", 12.0, True)]
    real = is_real_answer(APOLOGY)
    assert recovery_seconds(attempts, 10.0, {"x"}, real) == 4.5
    assert recovery_seconds(attempts, 10.0, {"x", "y"}, real, every=True) == 4.5
    assert recovery_seconds(attempts, 10.0, {"x", "z"}, real, every=True) is None
    assert recovery_seconds(attempts, 20.0, {"x"}, real) is None


# -- the cases ---------------------------------------------------------------------------------------------
def test_kill_replica(whole: Chaos):
    """SIGKILL one Rasa replica while 6 conversations (3 on it) send 12 messages each; the kill comes while
    one of its conversations has a request open on it.

    Guaranteed: every message is answered exactly once or the client gets a retryable error for the request
    the dead replica held (502 on a fresh connection; on a reused keep-alive connection HAProxy closes it
    without an answer, which clients treat as "retry"); nothing is silent or recorded twice; HAProxy
    redispatches new requests to the other replica at once (``retry-on conn-failure``, ``redispatch``), the
    supervisor restarts the replica and HAProxy routes its conversations back. Not guaranteed: a request in
    flight at the kill is not replayed (the client may retry it, and since REST carries no message id a
    retry of one that was already recorded is processed again: ``recorded_after_error``). A conversation
    whose message was in flight keeps the dead replica's Redis lock ticket only until the dead process's
    heartbeat expires (:data:`bot.lock_store.HEARTBEAT_TTL_SECONDS`, not Rasa's 60 s ``TICKET_LOCK_LIFETIME``),
    so every conversation of the killed replica is answered again within 15 s of the kill (``all_back_s``)
    and no request takes longer (``slowest_s``).
    """
    answered_again_within_s = 15.0
    victim, other = whole.replica("rasa1"), whole.replica("rasa2")
    on_victim, on_other = whole.senders_on(victim.name, 3, "kill-a"), whole.senders_on(other.name, 3, "kill-b")
    load = RestLoad(whole.url, [chat_script(s, 12) for s in on_victim + on_other], gap_s=1.5).start()
    wait_for(lambda: load.count(Outcome.ANSWERED) >= 6, 120, "warm-up answers")
    # Open for 20 ms: past HAProxy (sub-millisecond on loopback) and inside Rasa; a turn takes 40 ms or more.
    wait_for(lambda: load.in_flight(set(on_victim), 0.02), 60, "a request open on rasa1", step=0.005)
    old_pid = victim.rasa.pid
    fault_at = kill_group(old_pid)   # with a request in flight there: its client is told to retry
    attempts = load.wait(timeout=400)
    wait_for(lambda: victim.rasa.pid != old_pid and whole.ready(), 300, "rasa1 restarted and UP in HAProxy", step=0.5)
    back_s = time.monotonic() - fault_at
    with requests.Session() as session:   # its conversations are routed back to it
        routed_back = [send(session, whole.url, sender, f"{QUESTIONS[0]} zqback") for sender in on_victim]
    attempts += routed_back
    recorded = recorded_counts(whole.user_texts(on_victim + on_other))
    result = tally("kill-replica", attempts, recorded, APOLOGY, UNEXPECTED)
    real = is_real_answer(APOLOGY)
    result.recovery_s = recovery_seconds(attempts, fault_at, set(on_victim), real)
    result.extra = {"all_back_s": recovery_seconds(attempts, fault_at, set(on_victim), real, every=True) or -1.0,
                    "replica_back_s": back_s,
                    "slowest_s": max(a.done_at - a.sent_at for a in attempts)}
    record(result, attempts, fault_at)

    assert result.duplicated == 0 and result.lost == 0 and result.other == 0, explain(attempts, recorded)
    assert result.answered + result.told_to_retry == result.sent, explain(attempts, recorded)
    assert [(a.replica, classify(a, APOLOGY)) for a in routed_back] == [(victim.name, Outcome.ANSWERED)] * 3
    assert result.recovery_s is not None, "no real answer for the killed replica's conversations after the kill"
    assert 0 <= result.extra["all_back_s"] <= answered_again_within_s, \
        f"the killed replica's conversations all answered again after {result.extra['all_back_s']} s (-1: never)"
    assert result.extra["slowest_s"] <= answered_again_within_s, \
        f"a request took {result.extra['slowest_s']:.1f} s: waiting for a dead process's lock ticket?"


def test_postgres_restart(whole: Chaos):
    """Stop PostgreSQL hard (``pg_ctl -m immediate``, like a crash) for 5 s and start it again on the same
    port, while 4 chat conversations send 18 messages each and 4 customers report a failed withdrawal (a
    ticket each when the report completes); 2 more report one once PostgreSQL is back.

    Guaranteed (the issue): no ticket and no outbox row is lost — every ticket that existed before the crash
    or whose id a customer was given exists afterwards with its notification row, and every notification
    reaches the helpdesk; the service records conversations again within ``PG_RECOVERY_S`` seconds of
    PostgreSQL accepting connections; no message is silent, lost or recorded twice: a message whose
    conversation cannot be read gets a retryable 503 (bot.tracker_outage) and a turn answered just before
    the crash is kept by its replica and written once PostgreSQL is back, so every answered message ends up in
    the shared tracker with its context. Not guaranteed: a turn that needs the ticket database during the
    outage (the end of a report) gets the apology and the customer sends it again; a replica that dies during
    the outage loses the turns it kept.
    """
    store: TicketStore = open_store(whole.database_url)
    chats = [chat_script(f"pg-chat-{n}", 18) for n in range(4)]
    reports = [Script(f"pg-report-{n}", REPORT_FLOW, delay_s=1.5 * n) for n in range(4)]
    load = RestLoad(whole.url, chats + reports, gap_s=1.2).start()
    wait_for(lambda: len(tickets_given(load.snapshot())) >= 2, 180, "two tickets before the crash")
    before = {ticket.id: store.outbox.deliveries(ticket.id) for ticket in store.list(status=None)}
    whole.postgres.stop("immediate")
    fault_at = time.monotonic()
    threading.Event().wait(PG_DOWN_S)   # the outage itself
    whole.postgres.start()
    back_at = time.monotonic()
    later = [Script(f"pg-report-after-{n}", REPORT_FLOW, delay_s=1.5 * n) for n in range(2)]
    after = RestLoad(whole.url, later, gap_s=1.2).start()   # reports made once PostgreSQL is back
    attempts = load.wait(timeout=400) + after.wait(timeout=300)

    given = tickets_given(attempts)
    given_after = tickets_given([a for a in attempts if a.conversation in {s.conversation for s in later}])
    expected = set(before) | given
    delivered_s = wait_for(lambda: all_notified(store, whole.helpdesk, expected), 120,
                           "every ticket stored with its notification sent")
    conversations = [s.conversation for s in chats + reports + later]
    recorded = recorded_counts(whole.user_texts(conversations))
    result = tally("postgres-restart", attempts, recorded, APOLOGY, UNEXPECTED)
    good = is_recorded_answer(APOLOGY, recorded)
    chat_ids = {s.conversation for s in chats}
    result.recovery_s = recovery_seconds(attempts, fault_at, chat_ids, good)
    all_back = recovery_seconds(attempts, fault_at, chat_ids, good, every=True)
    result.extra = {"down_s": back_at - fault_at, "all_back_s": -1.0 if all_back is None else all_back,
                    "tickets_before": len(before), "tickets_given": len(given), "tickets_after": len(given_after),
                    "tickets_stored": len(expected), "notified_s": delivered_s}
    record(result, attempts, fault_at)

    rows_before = {d.id for deliveries in before.values() for d in deliveries}
    assert rows_before <= {d.id for t in before for d in store.outbox.deliveries(t)}, "outbox rows lost"
    assert result.duplicated == 0 and result.silent == 0 and result.other == 0, explain(attempts, recorded)
    assert result.lost == 0 and result.answered + result.told_to_retry == result.sent, explain(attempts, recorded)
    assert all_back is not None and all_back <= (back_at - fault_at) + PG_RECOVERY_S, explain(attempts, recorded)
    assert len(given_after) == len(later), "reports made after the restart become tickets"


def tickets_given(attempts: Sequence[Attempt]) -> Set[str]:
    """Ticket ids the customers were told."""
    return {match for a in attempts for reply in a.replies for match in TICKET_ID.findall(reply)}


def all_notified(store: TicketStore, helpdesk: WebhookReceiver, ticket_ids: Set[str]) -> bool:
    """Every ticket is stored, has its notification row(s), all sent, and the helpdesk accepted each."""
    accepted = {call.payload.get("id") for call in helpdesk.accepted}
    for ticket_id in ticket_ids:
        deliveries = store.outbox.deliveries(ticket_id)
        if store.get(ticket_id) is None or not deliveries or any(d.status != "sent" for d in deliveries):
            return False
    return ticket_ids <= accepted


def test_redis_down(whole: Chaos):
    """Stop Redis (SIGKILL) for 8 s while 6 conversations (3 per replica) send 12 messages each, then start
    it again (empty: no persistence).

    Guaranteed: a clear degraded state — each replica's ``GET /health`` shows part ``lock_store`` as
    ``degraded`` (in-process locks) while Redis is down and ``ok`` again once it answers; every message is
    answered (none is refused, silent or recorded twice). Not guaranteed while degraded: serialisation of
    one conversation across replicas or Sanic workers (only within a process); hash routing keeps a
    conversation on one replica, so with one worker per replica nothing overlaps.
    """
    replicas = whole.cluster.replicas
    senders = whole.senders_on("rasa1", 3, "redis-a") + whole.senders_on("rasa2", 3, "redis-b")
    load = RestLoad(whole.url, [chat_script(s, 12) for s in senders], gap_s=1.5).start()
    wait_for(lambda: load.count(Outcome.ANSWERED) >= 6, 120, "warm-up answers")
    whole.redis.stop(hard=True)
    fault_at = time.monotonic()
    degraded_s = wait_for(lambda: all(whole.lock_store_status(r) == "degraded" for r in replicas), 20,
                          "lock_store degraded on every replica", step=0.5)
    threading.Event().wait(max(0.0, fault_at + REDIS_DOWN_S - time.monotonic()))   # the rest of the outage
    whole.redis.start()
    back_at = time.monotonic()
    ok_again_s = wait_for(lambda: all(whole.lock_store_status(r) == "ok" for r in replicas), 30,
                          "lock_store ok again on every replica", step=0.5)
    attempts = load.wait(timeout=300)
    recorded = recorded_counts(whole.user_texts(senders))
    result = tally("redis-down", attempts, recorded, APOLOGY, UNEXPECTED)
    result.recovery_s = recovery_seconds(attempts, fault_at, set(senders), is_real_answer(APOLOGY))
    result.extra = {"down_s": back_at - fault_at, "degraded_seen_s": degraded_s, "lock_store_ok_s": ok_again_s,
                    "during_outage": sum(fault_at <= a.sent_at < back_at for a in attempts)}
    record(result, attempts, fault_at)

    assert result.answered == result.sent, explain(attempts, recorded)
    assert result.duplicated == 0 and result.lost == 0, explain(attempts, recorded)
    assert result.extra["during_outage"] > 0, "the load did not span the outage"


def test_action_server_sigkill(whole: Chaos):
    """SIGKILL the action server of one replica while 6 conversations (3 on it) send 14 messages each.

    Guaranteed: the supervisor restarts it, and real answers (not the apology) come again within 30 s:
    HAProxy takes the replica out once its ``GET /health`` reports the action server down (its
    conversations move to the other replica, which shares the tracker), and the restarted replica answers
    its own conversations again within 30 s of the kill. Nothing is silent or recorded twice. Not
    guaranteed: messages that reach the replica before HAProxy takes it out get the apology (the customer
    is told to try again; the message is recorded).
    """
    victim, other = whole.replica("rasa1"), whole.replica("rasa2")
    on_victim, on_other = whole.senders_on(victim.name, 3, "act-a"), whole.senders_on(other.name, 3, "act-b")
    load = RestLoad(whole.url, [chat_script(s, 14) for s in on_victim + on_other], gap_s=2.0).start()
    wait_for(lambda: load.count(Outcome.ANSWERED) >= 6, 120, "warm-up answers")
    old_pid = victim.actions.pid
    fault_at = kill_group(old_pid)
    restarted_s = wait_for(lambda: victim.actions.pid != old_pid and victim.actions.healthy(), ACTIONS_RECOVERY_S,
                           "action server restarted by the supervisor")
    wait_for(lambda: whole.cluster.server_states().get(victim.name) == "UP", ACTIONS_RECOVERY_S,
             "rasa1 UP in HAProxy again")
    with requests.Session() as session:   # the restarted replica answers its own conversations again
        probes = [send(session, whole.url, sender, f"{QUESTIONS[1]} zqprobe") for sender in on_victim]
    attempts = load.wait(timeout=300) + probes
    recorded = recorded_counts(whole.user_texts(on_victim + on_other))
    result = tally("action-server-sigkill", attempts, recorded, APOLOGY, UNEXPECTED)
    real = is_real_answer(APOLOGY)
    result.recovery_s = recovery_seconds(attempts, fault_at, set(on_victim), real)
    all_back = recovery_seconds(attempts, fault_at, set(on_victim), real, every=True)
    result.extra = {"all_back_s": -1.0 if all_back is None else all_back, "actions_restarted_s": restarted_s,
                    "restarted_replica_real_s": max(p.done_at for p in probes) - fault_at}
    record(result, attempts, fault_at)

    assert [(p.replica, classify(p, APOLOGY)) for p in probes] == [(victim.name, Outcome.ANSWERED)] * 3, probes
    assert result.extra["restarted_replica_real_s"] <= ACTIONS_RECOVERY_S
    assert all_back is not None and all_back <= ACTIONS_RECOVERY_S, explain(attempts, recorded)
    assert result.duplicated == 0 and result.lost == 0 and result.other == 0, explain(attempts, recorded)
    assert result.answered + result.told_to_retry == result.sent, explain(attempts, recorded)
