"""``python -m bot.privacy purge`` with a fake clock (``--now``) on SQLite and PostgreSQL: every store is
purged by age in small batches, open tickets are kept, a second run changes nothing, a dry run only counts,
and the report's aggregates are the same afterwards. Data is seeded through the stores' own APIs
(tests/privacy/seeding.py)."""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import SlotSet

from bot.analytics.events import open_engine as open_analytics
from bot.analytics.events import read_events
from bot.analytics.metrics import Period
from bot.channels.state import ChannelStateStore
from bot.handoff.store import HandoffStore
from bot.incidents.store import IncidentStore
from bot.privacy.__main__ import main
from bot.privacy.audit import AuditLog
from bot.privacy.policy import RetentionPolicy
from bot.privacy.scrub import PLACEHOLDER
from bot.report.build import ReportRequest, build_report
from bot.tickets.database import Database
from bot.tickets.store import TicketStore
from tests.privacy.seeding import (
    ARTICLE,
    NOW,
    NOW_ISO,
    SECRET_WARNING_TEXT,
    Stores,
    ago,
    channel_state,
    closed_ticket,
    conversation,
    observation,
    open_ticket,
    save,
    services,
    tracker_store,
)

CUSTOMER = "tg-1001"
OLD_WORDS = "kenapa lama banget sih!! rekening 1234567890 atas nama Budi Santoso"   # upset, personal
MID_WORDS = "saldo saya 5 BTC dari alamat bc1qrahasia-tengah hilang"
NEW_WORDS = "halo lagi kak, sudah masuk terima kasih"
OLD_TICKET_WORDS, MID_TICKET_WORDS, OPEN_TICKET_WORDS = "laporan-lama-rahasia", "laporan-tengah", "laporan-terbuka"


def seed(stores: Stores, database: Database) -> Dict[str, str]:
    """One customer with data at 400, 100, 40 and 10 days before NOW in every store."""
    service = services(database)
    old_ticket = closed_ticket(service, CUSTOMER, ago(400), OLD_TICKET_WORDS, comment="agennya ramah, nomor 0812",
                               secret_warning=True)
    mid_ticket = closed_ticket(service, CUSTOMER, ago(100), MID_TICKET_WORDS)
    still_open = open_ticket(service, CUSTOMER, ago(400), OPEN_TICKET_WORDS)

    def answered(at: Any, words: str, ticket: str) -> List[Any]:
        stamp = at.timestamp()
        return conversation(at, words, extra=[
            SlotSet("bank_account", "1234567890", timestamp=stamp + 3),
            SlotSet("kb_article", ARTICLE, timestamp=stamp + 3),
            SlotSet("kb_helpful", True, timestamp=stamp + 4), SlotSet("handoff_ticket", ticket, timestamp=stamp + 4)])

    save(stores, CUSTOMER, [answered(ago(400), OLD_WORDS, old_ticket), answered(ago(100), MID_WORDS, mid_ticket),
                            conversation(ago(10), NEW_WORDS)])
    for days, key in ((40, "old"), (10, "new")):
        channel_state(stores, "1001", "telegram", ago(days), key)
    observation(database, CUSTOMER, ago(100), "BCA gangguan lagi, rekening 1234567890", "m-old")
    observation(database, CUSTOMER, ago(10), "BCA gangguan", "m-new")
    incidents = IncidentStore(database)
    notice = incidents.open_notice("bank:BCA", "Transfer BCA sedang lambat.", ago(99), ago(100))[0]
    incidents.mark_shown(notice.id, CUSTOMER, ago(100))
    spike = incidents.open_spike("bank:BCA", ago(100), 12, "Lonjakan laporan BCA", {"examples": [MID_WORDS]}, [])
    return {"old_ticket": old_ticket, "mid_ticket": mid_ticket, "open_ticket": still_open, "spike": spike.id}


def purge(stores: Stores, capsys, *options: str) -> Dict[str, Any]:
    assert main(["purge", "--now", NOW_ISO, "--json", *options, *stores.cli_options()]) == 0
    return json.loads(capsys.readouterr().out)


def report_of(stores: Stores, day: timedelta) -> Dict[str, Any]:
    """The report (metrics, gaps, incidents) of the two days around ``NOW - day``."""
    period = Period(NOW - day - timedelta(days=1), NOW - day + timedelta(days=1))
    report = build_report(ReportRequest(period=period, analytics_db_url=stores.analytics_url,
                                        tickets_db_url=stores.tickets_url, workers=1, now=NOW))
    return {key: report[key] for key in ("metrics", "gaps", "incidents")}


def tracker_times(stores: Stores) -> List[float]:
    store = tracker_store(stores, with_broker=False)
    try:
        tracker = asyncio.run(store.retrieve_full_tracker(CUSTOMER))
    finally:
        store.engine.dispose()
    return [event.timestamp for event in tracker.events] if tracker else []


def analytics_rows(stores: Stores) -> List[Dict[str, Any]]:
    engine = open_analytics(stores.analytics_url)
    try:
        return list(read_events(engine))
    finally:
        engine.dispose()


def test_purge_by_age_in_every_store_keeps_open_tickets_and_aggregates(stores, database, capsys, monkeypatch):
    monkeypatch.setenv("PRIVACY_PURGE_BATCH", "2")   # several batches (one transaction each) per store
    ids = seed(stores, database)
    before = {days: report_of(stores, timedelta(days=days)) for days in (400, 100)}
    assert before[400]["metrics"]["totals"]["conversations"] == 1   # the seeded data is in the reports
    assert before[400]["metrics"]["totals"]["upset_or_panic"]["upset"] == 1

    dry = purge(stores, capsys, "--dry-run")
    done = purge(stores, capsys)
    assert dry["stores"] == done["stores"] and dry["dry_run"] is True   # the dry run counted, changed nothing
    counts = done["stores"]
    assert counts["tracker"]["events_deleted"] == 2 * 10          # the sessions at 400 and 100 days
    assert counts["tickets"]["tickets_scrubbed"] == 1             # closed 400 days ago (not 100 days, not open)
    assert counts["tickets"]["comments_removed"] == 1
    assert counts["channel_state"] == {"seen_deleted": 1, "buttons_deleted": 1}
    assert counts["channel_state_file"] == {"seen_deleted": 1, "buttons_deleted": 1}
    assert counts["incidents"] == {"observations_deleted": 1, "notice_views_deleted": 1, "spike_examples_cleared": 1}
    assert counts["analytics"]["events_scrubbed"] == 2 * 3        # customer text, reply, bank_account slot per session

    # Tracker store: only the last 90 days are left.
    assert tracker_times(stores) and min(tracker_times(stores)) >= ago(90).timestamp()

    # Tickets: the old closed one lost its personal data, its row and metrics fields stay; others untouched.
    tickets, handoffs = TicketStore(database), HandoffStore(database)
    old = tickets.get(ids["old_ticket"])
    assert (old.customer_name, old.summary, old.details, old.transcript) == (None, PLACEHOLDER, (), ())
    assert (old.status, old.category, old.customer_id) == ("closed", "withdrawal_crypto", CUSTOMER)
    assert old.created_at == ago(400) and old.closed_at == ago(400, -60)
    thread = handoffs.thread(ids["old_ticket"])
    assert {m.text for m in thread} == {PLACEHOLDER, SECRET_WARNING_TEXT}
    assert handoffs.get(ids["old_ticket"]).comment is None and handoffs.get(ids["old_ticket"]).rating == 4
    assert MID_TICKET_WORDS in tickets.get(ids["mid_ticket"]).summary
    assert OPEN_TICKET_WORDS in tickets.get(ids["open_ticket"]).transcript[0].text

    # Channel state: keys and buttons older than 30 days are gone, in the file and in the ticket database.
    for state in (ChannelStateStore.in_file(stores.channel_state_file), ChannelStateStore(stores.tickets_url)):
        try:
            assert state.button("telegram", "1001", "btn-old", since=0) is None
            assert state.button("telegram", "1001", "btn-new", since=0) == "/affirm"
            assert state.remember("telegram", "new", NOW.timestamp()) is False   # still remembered
        finally:
            state.close()

    # Analytics: every row stays, old text is gone, recent text is kept.
    rows = analytics_rows(stores)
    raw = json.dumps(rows, ensure_ascii=False)
    assert OLD_WORDS not in raw and MID_WORDS not in raw and "1234567890" not in raw and NEW_WORDS in raw
    old_message = next(e for e in rows if e["event"] == "user" and e["timestamp"] < ago(300).timestamp())
    assert old_message["text"] == PLACEHOLDER and old_message["metadata"]["retained_mood"] == "upset"

    # Incidents: old observations and views gone, the incidents themselves stay (examples cleared).
    incidents = IncidentStore(database)
    assert incidents.examples("bank:BCA", ago(1000), 10) == ["BCA gangguan"]
    assert incidents.get(ids["spike"], NOW).details["examples"] == [] and incidents.get(ids["spike"], NOW).count == 12

    # Every aggregate of the report is the same.
    assert {days: report_of(stores, timedelta(days=days)) for days in (400, 100)} == before

    # Idempotent, and every run is in the audit log.
    again = purge(stores, capsys)["stores"]
    assert all(value == 0 for store in again.values() for value in store.values()), again
    entries = AuditLog(database).entries(action="purge")
    assert [(e.desk, e.outcome) for e in entries] == [("privacy", "dry_run"), ("privacy", "ok"), ("privacy", "ok")]
    assert json.loads(entries[1].detail)["totals"]["tracker"] == {"events_deleted": 20}


def test_purge_skips_missing_stores_and_creates_nothing(sqlite_stores, capsys, tmp_path):
    done = purge(sqlite_stores, capsys)["stores"]
    assert done["tracker"] == {"skipped": f"no tracker store at {sqlite_stores.tracker_url}"}
    assert "skipped" in done["analytics"] and "skipped" in done["channel_state_file"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tickets.db"]   # for the audit row


def test_purge_refuses_a_bad_clock_and_bad_settings(sqlite_stores, capsys, monkeypatch):
    assert main(["purge", "--now", "kemarin", *sqlite_stores.cli_options()]) == 2
    monkeypatch.setenv("PRIVACY_TRACKER_DAYS", "0")
    assert main(["purge", *sqlite_stores.cli_options()]) == 1
    assert "tracker_days must be at least 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="PRIVACY_TICKET_DAYS"):
        RetentionPolicy.from_env({"PRIVACY_TICKET_DAYS": "setahun"})


def test_the_default_policy_is_the_documented_one():
    policy = RetentionPolicy.from_env({})
    assert (policy.tracker_days, policy.analytics_text_days, policy.incident_days, policy.ticket_days,
            policy.channel_state_days) == (90, 90, 90, 365, 30)
    cut = policy.cutoffs(NOW)
    assert (NOW - cut.tracker, NOW - cut.tickets, NOW - cut.channel_state) == (
        timedelta(days=90), timedelta(days=365), timedelta(days=30))


def test_a_purge_next_to_the_live_assistant_waits_for_its_write_lock_instead_of_failing(sqlite_stores, database,
                                                                                         capsys):
    """SQLite: while the assistant holds a short write transaction, the purge's batch waits (busy timeout)."""
    seed(sqlite_stores, database)
    engine = sa.create_engine(sqlite_stores.tracker_url, future=True)
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            locked.set()
            release.wait(5)
            connection.exec_driver_sql("COMMIT")

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    assert locked.wait(5)
    threading.Timer(0.5, release.set).start()
    try:
        assert purge(sqlite_stores, capsys)["stores"]["tracker"]["events_deleted"] == 20
    finally:
        release.set()
        holder.join(10)
        engine.dispose()
