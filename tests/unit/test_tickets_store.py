"""bot.tickets store: ids, atomic outbox rows, dedupe, redaction, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, List

import pytest
import sqlalchemy as sa

from bot.tickets import WIB, Detail, Ticket, TicketStore, TranscriptLine, open_store, sla_due
from bot.tickets import store as store_module
from bot.tickets.schema import tickets as tickets_table
from tests.tickets.drafts import MOMENT, PASSWORD, SEED_PHRASE, draft_with_secrets, make_draft


def run_in_threads(count: int, work: Callable[[int], object]) -> List[object]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; return results in order."""
    barrier = threading.Barrier(count)
    results: List[object] = [None] * count
    errors: List[BaseException] = []

    def runner(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_created_ticket_reads_back_identically(store: TicketStore):
    draft = make_draft()
    created = store.create(draft, ["telegram_agen"], now=MOMENT)
    assert created.id == "CS-20261122-0001"
    assert created.status == "open" and created.closed_at is None
    assert created.created_at == MOMENT
    assert created.sla_due_at == sla_due(MOMENT, "high") == datetime(2026, 11, 22, 14, 15, tzinfo=WIB)
    loaded = store.get(created.id)
    assert loaded == created
    assert loaded.details == draft.details and loaded.transcript == draft.transcript
    assert loaded.created_at.utcoffset() == timedelta(hours=7)
    assert isinstance(loaded, Ticket) and loaded.priority == "high"  # draft fields directly on the ticket


def test_ids_count_per_wib_day(store: TicketStore):
    first = store.create(make_draft(), [], now=MOMENT)
    second = store.create(make_draft(), [], now=MOMENT + timedelta(minutes=1))
    # 17:30 UTC on the 22nd is already 00:30 WIB on the 23rd: a new day, a new sequence.
    next_day = store.create(make_draft(), [], now=datetime(2026, 11, 22, 17, 30, tzinfo=timezone.utc))
    assert [first.id, second.id, next_day.id] == ["CS-20261122-0001", "CS-20261122-0002", "CS-20261123-0001"]
    assert store.get("CS-20261199-0001") is None


def test_twenty_concurrent_creates_get_twenty_sequential_ids(store: TicketStore):
    ids = run_in_threads(20, lambda i: store.create(make_draft(customer_id=f"c{i}"), ["webhook"], now=MOMENT).id)
    assert sorted(ids) == [f"CS-20261122-{n:04d}" for n in range(1, 21)]
    assert len(store.list()) == 20
    assert all(len(store.outbox.deliveries(ticket_id)) == 1 for ticket_id in ids)


def test_outbox_rows_are_written_with_the_ticket(store: TicketStore):
    ticket = store.create(make_draft(), ["telegram_agen", "helpdesk", "telegram_agen"], now=MOMENT)
    deliveries = store.outbox.deliveries(ticket.id)
    assert [(d.notifier, d.status, d.attempts) for d in deliveries] == [("telegram_agen", "pending", 0),
                                                                         ("helpdesk", "pending", 0)]
    assert all(d.next_attempt_at == MOMENT and d.sent_at is None for d in deliveries)


def test_failure_while_queueing_rolls_back_ticket_and_id(store: TicketStore, monkeypatch):
    def broken_enqueue(*args, **kwargs):
        raise RuntimeError("outbox insert failed")

    monkeypatch.setattr(store_module, "enqueue", broken_enqueue)
    with pytest.raises(RuntimeError):
        store.create(make_draft(), ["telegram_agen"], now=MOMENT)
    assert store.list(status=None) == []
    monkeypatch.undo()
    assert store.create(make_draft(), ["telegram_agen"], now=MOMENT).id == "CS-20261122-0001"  # number not burnt


def test_same_dedupe_key_returns_the_open_ticket(store: TicketStore):
    first = store.create(make_draft(dedupe_key="tg-88123:withdrawal_crypto"), ["helpdesk"], now=MOMENT)
    again = store.create(make_draft(dedupe_key="tg-88123:withdrawal_crypto", summary="dobel"), ["helpdesk", "x"])
    assert again == first
    assert [d.notifier for d in store.outbox.deliveries(first.id)] == ["helpdesk"]  # nothing queued twice
    other = store.create(make_draft(dedupe_key="tg-88123:deposit_idr"), [], now=MOMENT)
    assert other.id != first.id
    assert store.close(first.id)
    reopened = store.create(make_draft(dedupe_key="tg-88123:withdrawal_crypto"), [], now=MOMENT)
    assert reopened.id not in (first.id, other.id)  # a closed ticket no longer absorbs new reports


def test_concurrent_creates_with_one_dedupe_key_make_one_ticket(store: TicketStore):
    ids = run_in_threads(8, lambda i: store.create(make_draft(dedupe_key="double-click"), ["helpdesk"]).id)
    assert len(set(ids)) == 1
    assert len(store.list()) == 1
    assert len(store.outbox.deliveries(ids[0])) == 1


def test_open_list_is_a_queue_by_deadline_and_history_is_newest_first(store: TicketStore):
    normal = store.create(make_draft(priority="normal"), [], now=MOMENT)
    urgent = store.create(make_draft(priority="urgent"), [], now=MOMENT + timedelta(minutes=5))
    high = store.create(make_draft(priority="high"), [], now=MOMENT + timedelta(minutes=10))
    assert [t.id for t in store.list()] == [urgent.id, high.id, normal.id]
    assert store.close(high.id, now=MOMENT + timedelta(hours=1))
    assert [t.id for t in store.list()] == [urgent.id, normal.id]
    assert [t.id for t in store.list(status="closed")] == [high.id]
    assert [t.id for t in store.list(status=None)] == [high.id, urgent.id, normal.id]


def test_close_is_once_only(store: TicketStore):
    ticket = store.create(make_draft(), [], now=MOMENT)
    closed_at = MOMENT + timedelta(hours=2)
    assert store.close(ticket.id, now=closed_at) is True
    assert store.close(ticket.id) is False
    assert store.close("CS-20000101-0001") is False
    reloaded = store.get(ticket.id)
    assert reloaded.status == "closed" and reloaded.closed_at == closed_at


def test_secrets_are_redacted_and_flagged(store: TicketStore):
    ticket = store.create(draft_with_secrets(), ["helpdesk"], now=MOMENT)
    stored = store.get(ticket.id)
    texts = [stored.customer_name, stored.summary] + [d.value for d in stored.details] + \
        [d.note for d in stored.details] + [line.text for line in stored.transcript]
    assert all(SEED_PHRASE not in text and PASSWORD not in text for text in texts)
    assert "[DIHAPUS: seed phrase]" in stored.summary
    assert "[DIHAPUS: password]" in stored.customer_name
    assert set(stored.flags) == {"secret_shared:seed_phrase", "secret_shared:password"}
    assert set(stored.secrets_shared) == {"seed_phrase", "password"}
    with store.database.reader.connect() as connection:  # what the database itself holds
        raw = " ".join(str(value) for row in connection.execute(sa.select(tickets_table)) for value in row)
    assert "abandon abandon" not in raw and PASSWORD not in raw


def test_flags_from_markers_the_channel_already_left(sqlite_store: TicketStore):
    draft = make_draft(transcript=(TranscriptLine(MOMENT, "customer", "kode otp [DIHAPUS: otp] masuk"),),
                       flags=("escalated_by_customer",))
    ticket = sqlite_store.create(draft, [], now=MOMENT)
    assert ticket.flags == ("escalated_by_customer", "secret_shared:otp")


def test_sqlite_file_never_contains_the_secrets(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'raw.db'}"
    ticket_store = open_store(url)
    ticket = ticket_store.create(draft_with_secrets(), ["telegram_agen", "helpdesk"], now=MOMENT)
    assert ticket_store.get(ticket.id) is not None
    ticket_store.database.reader.dispose()
    files = sorted(tmp_path.glob("raw.db*"))  # the database and its write-ahead log
    raw = b"".join(path.read_bytes() for path in files)
    assert ticket.id.encode() in raw  # the bytes really are the ticket data
    for secret in (SEED_PHRASE, "abandon abandon abandon", PASSWORD):
        assert secret.encode() not in raw


def test_open_store_defaults_to_var_tickets_db_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("TICKETS_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    ticket_store = open_store()
    ticket_store.create(make_draft(), [], now=MOMENT)
    ticket_store.database.reader.dispose()
    assert (tmp_path / "var" / "tickets.db").is_file()


def test_open_store_reads_tickets_db_url(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "dir" / "agents.db"
    monkeypatch.setenv("TICKETS_DB_URL", f"sqlite:///{target}")
    ticket_store = open_store()
    assert ticket_store.create(make_draft(), [], now=MOMENT).id == "CS-20261122-0001"
    ticket_store.database.reader.dispose()
    assert target.is_file()
    assert open_store(f"sqlite:///{target}").get("CS-20261122-0001") is not None  # reopening keeps the data


def test_naive_creation_time_is_refused(sqlite_store: TicketStore):
    with pytest.raises(ValueError, match="timezone-aware"):
        sqlite_store.create(make_draft(), [], now=datetime(2026, 11, 22, 10, 15))
    assert sqlite_store.list(status=None) == []


def test_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        open_store("mysql://user@localhost/tickets")


@pytest.mark.parametrize("change", [
    {"priority": "critical"}, {"category": "withdrawal"}, {"sentiment": "angry"},
])
def test_draft_rejects_values_outside_the_contract(change):
    with pytest.raises(ValueError):
        make_draft(**change)


def test_detail_and_transcript_validate_their_values():
    with pytest.raises(ValueError):
        Detail("amount", "Jumlah", "1", "maybe")
    with pytest.raises(ValueError, match="timezone-aware"):
        TranscriptLine(datetime(2026, 11, 22, 10), "customer", "halo")
    with pytest.raises(ValueError):
        TranscriptLine(MOMENT, "agent", "halo")
