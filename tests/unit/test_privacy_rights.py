"""A customer's rights on SQLite and PostgreSQL: ``python -m bot.privacy export`` returns everything held about
them (and nothing about anyone else) in an owner-only file; ``erase`` removes it from every store, keeps
what metrics need under a pseudonym, cancels what was still waiting to be sent, leaves open tickets alone,
is idempotent, and every request is in the audit log. On SQLite the erased words are not left in the raw
database files either. Data is seeded through the stores' own APIs (tests/privacy/seeding.py)."""
from __future__ import annotations

import asyncio
import json
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List

from bot.analytics.events import open_engine as open_analytics
from bot.analytics.events import read_events
from bot.channels.state import ChannelStateStore
from bot.handoff.store import HandoffStore
from bot.incidents.store import IncidentStore
from bot.privacy.__main__ import main
from bot.privacy.audit import AuditLog
from bot.privacy.scrub import PLACEHOLDER
from bot.tickets.database import Database
from bot.tickets.outbox import Outbox
from bot.tickets.store import TicketStore
from tests.privacy.seeding import (
    NOW,
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

SITI, BUDI = "tg-2002", "wa-6281234500000"
SITI_WORDS = "nama saya Siti Aminah rekening BCA 9876543210"
SITI_TICKET_WORDS = "Siti-penarikan-tertahan"
SITI_OPEN_WORDS = "permintaan-hapus-data"
BUDI_WORDS = "saya Budi Hartono mau tanya deposit"


def seed(stores: Stores, database: Database) -> Dict[str, str]:
    service = services(database)
    ids = {"closed": closed_ticket(service, SITI, ago(3), SITI_TICKET_WORDS, comment=f"terima kasih, {SITI_WORDS}"),
           "open": open_ticket(service, SITI, ago(1), SITI_OPEN_WORDS),
           "budi": closed_ticket(service, BUDI, ago(2), BUDI_WORDS)}
    save(stores, SITI, [conversation(ago(5), SITI_WORDS), conversation(ago(1), "tolong hapus data saya")])
    save(stores, BUDI, [conversation(ago(2), BUDI_WORDS, channel="whatsapp")])
    channel_state(stores, "2002", "telegram", ago(1), "siti")
    channel_state(stores, "6281234500000", "whatsapp", ago(1), "budi")
    observation(database, SITI, ago(1), f"BCA gangguan, {SITI_WORDS}", "siti-1")
    observation(database, BUDI, ago(1), "BCA gangguan juga", "budi-1")
    incidents = IncidentStore(database)
    notice = incidents.open_notice("bank:BCA", "Transfer BCA sedang lambat.", NOW + timedelta(days=1), ago(1))[0]
    incidents.mark_shown(notice.id, SITI, ago(1))
    return ids


def export(stores: Stores, customer: str, out: Path) -> Dict[str, Any]:
    assert main(["export", "--customer", customer, "--out", str(out), *stores.cli_options()]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def erase(stores: Stores, capsys, customer: str, *options: str) -> Dict[str, Any]:
    capsys.readouterr()
    assert main(["erase", "--customer", customer, "--json", *options, *stores.cli_options()]) == 0
    return json.loads(capsys.readouterr().out)["stores"]


def analytics_of(stores: Stores) -> List[Dict[str, Any]]:
    engine = open_analytics(stores.analytics_url)
    try:
        return list(read_events(engine))
    finally:
        engine.dispose()


def tracker_events(stores: Stores, customer: str) -> List[Any]:
    store = tracker_store(stores, with_broker=False)
    try:
        tracker = asyncio.run(store.retrieve_full_tracker(customer))
    finally:
        store.engine.dispose()
    return list(tracker.events) if tracker else []


def test_export_then_erase_round_trip(stores, database, capsys, tmp_path):
    ids = seed(stores, database)
    out = tmp_path / "ekspor" / "siti.json"

    # Export: everything about Siti, from every store, in a file only its owner can read; nothing about Budi.
    data = export(stores, SITI, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = json.dumps(data, ensure_ascii=False)
    assert BUDI_WORDS not in text and BUDI not in text
    assert [e["event"]["text"] for e in data["tracker"]["events"] if e["type_name"] == "user"] == [
        SITI_WORDS, "tolong hapus data saya"]
    assert [t["ticket"]["id"] for t in data["tickets"]] == [ids["closed"], ids["open"]]
    closed = data["tickets"][0]
    assert closed["ticket"]["transcript"][0]["text"] == SITI_TICKET_WORDS and closed["handoff"]["rating"] == 4
    assert any(SITI_TICKET_WORDS in m["text"] for m in closed["messages"])
    assert closed["notifications"] and closed["message_deliveries"]
    assert [b["button_id"] for b in data["channel_state"]["buttons"]] == ["btn-siti"]
    assert [b["button_id"] for b in data["channel_state"]["buttons_in_file"]["buttons"]] == ["btn-siti"]
    assert any(e["event"].get("text") == SITI_WORDS for e in data["analytics"]["events"])
    assert len(data["incidents"]["observations"]) == 1 and len(data["incidents"]["notice_views"]) == 1

    # Erase: counts per store.
    done = erase(stores, capsys, SITI, "--ticket", ids["open"])
    assert done["tracker"]["events_deleted"] == len(data["tracker"]["events"])
    assert done["tickets"]["tickets_scrubbed"] == 1 and done["tickets"]["open_tickets_kept"] == [ids["open"]]
    assert done["tickets"]["comments_removed"] == 1 and done["tickets"]["outbox_cancelled"] > 0
    assert done["channel_state"] == {"buttons_deleted": 1} and done["channel_state_file"] == {"buttons_deleted": 1}
    assert done["analytics"]["events_scrubbed"] == len(data["analytics"]["events"])
    assert done["incidents"] == {"observations_deleted": 1, "notice_views_deleted": 1}

    # The tracker store holds nothing of Siti.
    assert tracker_events(stores, SITI) == []

    # Her closed ticket keeps what metrics need, under a pseudonym shared with its handoff and her analytics.
    tickets, handoffs = TicketStore(database), HandoffStore(database)
    ticket = tickets.get(ids["closed"])
    pseudonym = ticket.customer_id
    assert pseudonym.startswith("erased-") and handoffs.get(ids["closed"]).customer_id == pseudonym
    assert (ticket.customer_name, ticket.summary, ticket.transcript, ticket.details) == (None, PLACEHOLDER, (), ())
    assert (ticket.status, ticket.category, ticket.created_at) == ("closed", "withdrawal_crypto", ago(3))
    assert {m.text for m in handoffs.thread(ids["closed"])} == {PLACEHOLDER}
    assert handoffs.get(ids["closed"]).comment is None and handoffs.get(ids["closed"]).rating == 4
    analytics = analytics_of(stores)
    mine = [e for e in analytics if e["sender_id"] == pseudonym]
    assert len(mine) == len(data["analytics"]["events"]) and not [e for e in analytics if e["sender_id"] == SITI]
    assert SITI_WORDS not in json.dumps(analytics, ensure_ascii=False)
    assert BUDI_WORDS in json.dumps(analytics, ensure_ascii=False)

    # What was waiting to be sent for her closed ticket is cancelled and never delivered.
    assert {d.status for d in Outbox(database).deliveries(ids["closed"])} == {"cancelled"}
    messages = {m.id for m in handoffs.thread(ids["closed"])}
    claims = handoffs.outbox.claim_due(["customer", "telegram_agen"], NOW + timedelta(days=1), timedelta(seconds=60),
                                       limit=1000)
    assert claims and not [claim for claim in claims if claim.subject in messages]   # Budi's still go out

    # Her open ticket is untouched; Budi is untouched.
    assert tickets.get(ids["open"]).customer_id == SITI
    assert tickets.get(ids["open"]).transcript[0].text == SITI_OPEN_WORDS
    assert tickets.get(ids["budi"]).transcript[0].text == BUDI_WORDS
    assert len(tracker_events(stores, BUDI)) == 6
    for state in (ChannelStateStore.in_file(stores.channel_state_file), ChannelStateStore(stores.tickets_url)):
        try:
            assert state.button("telegram", "2002", "btn-siti", since=0) is None
            assert state.button("whatsapp", "6281234500000", "btn-budi", since=0) == "/affirm"
        finally:
            state.close()
    assert IncidentStore(database).examples("bank:BCA", ago(30), 10) == ["BCA gangguan juga"]

    # Idempotent: a second erase finds nothing more, and says the open ticket is still kept.
    again = erase(stores, capsys, SITI)
    assert [value for store in again.values() for key, value in store.items()
            if key != "open_tickets_kept" and value] == []
    assert again["tickets"]["open_tickets_kept"] == [ids["open"]]

    after = export(stores, SITI, out)
    assert after["tracker"]["events"] == [] and [t["ticket"]["id"] for t in after["tickets"]] == [ids["open"]]

    # Every request is in the audit log, with who ran it and the privasi ticket it answers.
    rows = AuditLog(database).entries(customer_id=SITI)
    assert [(r.action, r.outcome, r.desk) for r in rows] == [
        ("export", "ok", "privacy"), ("erase", "ok", "privacy"), ("erase", "ok", "privacy"),
        ("export", "ok", "privacy")]
    assert rows[1].ticket_id == ids["open"] and rows[1].actor_id
    assert SITI_WORDS not in json.dumps([r.detail for r in rows])


def test_erased_words_are_not_left_in_the_sqlite_files(sqlite_stores, capsys, tmp_path):
    """secure_delete and a truncating WAL checkpoint: the raw bytes of every database (and its -wal) no longer
    hold what was erased."""
    from bot.tickets.database import connect

    opened = connect(sqlite_stores.tickets_url)
    try:
        seed(sqlite_stores, opened)
        raw_before = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
        assert SITI_WORDS.encode() in raw_before and SITI_TICKET_WORDS.encode() in raw_before
        erase(sqlite_stores, capsys, SITI)
    finally:
        opened.reader.dispose()
    files = [path for path in tmp_path.iterdir() if path.is_file()]
    assert {path.name for path in files} >= {"tracker.db", "tickets.db", "analytics.db", "channels.db"}
    raw = b"".join(path.read_bytes() for path in files)
    for erased in (SITI_WORDS, SITI_TICKET_WORDS, "btn-siti"):
        assert erased.encode() not in raw, erased
    assert BUDI_WORDS.encode() in raw and SITI_OPEN_WORDS.encode() in raw   # kept data is still there


def test_export_of_an_unknown_customer_is_empty_and_still_audited(sqlite_stores, capsys):
    assert main(["export", "--customer", "rest-tidak-ada", *sqlite_stores.cli_options()]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["customer_id"] == "rest-tidak-ada" and data["tickets"] == []
    assert data["channel_state"]["chat"] is None   # REST senders have no channel state
    from bot.tickets.database import connect

    opened = connect(sqlite_stores.tickets_url)
    try:
        assert [e.action for e in AuditLog(opened).entries(customer_id="rest-tidak-ada")] == ["export"]
    finally:
        opened.reader.dispose()
    assert main(["erase", "--customer", "  ", *sqlite_stores.cli_options()]) == 2
