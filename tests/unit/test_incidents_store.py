"""bot.incidents.store on SQLite and PostgreSQL: notices (expiry, replacement, closing, shown once per
conversation) and list_incidents for the report."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from bot.incidents import list_incidents
from bot.incidents.model import NOTICE, SPIKE
from bot.incidents.notices import customer_message, default_notice_text, notices_for
from bot.incidents.store import IncidentStore
from bot.tickets.database import connect

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
BCA = "bank:BCA"
TEXT = "Saat ini penarikan ke BCA sedang terganggu; dana Anda aman."


@pytest.fixture
def store(database_url: str) -> Iterator[IncidentStore]:
    incident_store = IncidentStore(connect(database_url))
    yield incident_store
    incident_store.database.reader.dispose()


def test_a_notice_is_active_until_it_expires(store):
    notice, = store.open_notice(BCA, TEXT, T0 + timedelta(hours=4), T0)
    assert notice.id.startswith("INC-") and len(notice.id) == 10
    assert (notice.kind, notice.topic, notice.count, notice.text, notice.closed_at) == (NOTICE, BCA, 0, TEXT, None)
    assert [n.id for n in store.active_notices([BCA, "coin:USDT"], T0 + timedelta(hours=3))] == [notice.id]
    assert store.active_notices(["bank:BRI"], T0) == []
    assert store.active_notices([BCA], T0 + timedelta(hours=4)) == []          # expired
    expired = store.get(notice.id, T0 + timedelta(hours=5))
    assert expired.closed_at == T0 + timedelta(hours=4)                          # reads as ended at its expiry
    assert store.close(notice.id, T0 + timedelta(hours=5)) is False


def test_closing_a_notice_ends_it_at_once(store):
    notice, = store.open_notice(BCA, TEXT, T0 + timedelta(hours=4), T0)
    assert store.close(notice.id.lower(), T0 + timedelta(minutes=30))           # ids are not case-sensitive
    assert store.active_notices([BCA], T0 + timedelta(minutes=31)) == []
    assert store.get(notice.id).closed_at == T0 + timedelta(minutes=30)
    assert store.close(notice.id, T0 + timedelta(minutes=40)) is False
    assert store.close("INC-NOPE00", T0) is False


def test_a_new_notice_replaces_the_one_of_the_same_topic(store):
    old, = store.open_notice(BCA, "lama", T0 + timedelta(hours=4), T0)
    other, = store.open_notice("network:TRC20", "trc", T0 + timedelta(hours=4), T0)
    new, replaced = store.open_notice(BCA, "baru", T0 + timedelta(hours=2), T0 + timedelta(minutes=10))
    assert replaced.id == old.id
    assert [n.text for n in store.active_notices([BCA, "network:TRC20"], T0 + timedelta(minutes=11))] == ["trc", "baru"]
    assert store.get(old.id).closed_at == T0 + timedelta(minutes=10)


def test_a_notice_is_shown_once_per_conversation_and_counted(store):
    notice, = store.open_notice(BCA, TEXT, T0 + timedelta(hours=4), T0)
    first = notices_for(store, [BCA], "budi", T0 + timedelta(minutes=1))
    assert first == [customer_message(TEXT)]
    assert first[0].startswith("Mohon maaf atas ketidaknyamanannya. Saat ini penarikan ke BCA")
    assert notices_for(store, [BCA], "budi", T0 + timedelta(minutes=2)) == []
    assert notices_for(store, [BCA], "sari", T0 + timedelta(minutes=3)) == [customer_message(TEXT)]
    assert store.get(notice.id).count == 2


def test_concurrent_messages_of_one_conversation_show_the_notice_once(store, database_url):
    notice, = store.open_notice(BCA, TEXT, T0 + timedelta(hours=4), T0)
    replicas = [IncidentStore(connect(database_url)) for _ in range(5)]
    barrier, shown = threading.Barrier(5), []

    def show(index: int) -> None:
        barrier.wait()
        shown.extend(notices_for(replicas[index], [BCA], "budi", T0 + timedelta(minutes=1)))

    threads = [threading.Thread(target=show, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for replica in replicas:
        replica.database.reader.dispose()
    assert len(shown) == 1 and store.get(notice.id).count == 1


def test_list_incidents_returns_what_went_on_in_the_period(store, database_url, monkeypatch):
    before, = store.open_notice(BCA, "kemarin", T0 - timedelta(days=1) + timedelta(hours=2), T0 - timedelta(days=1))
    during, = store.open_notice("network:TRC20", TEXT, T0 + timedelta(hours=4), T0 + timedelta(hours=1))
    spike = store.open_spike("bank:BRI", T0 + timedelta(hours=2), 12, "12 pelanggan", {"threshold": 10}, [])
    closed_early, = store.open_notice("coin:USDT", "usdt", T0 + timedelta(days=2), T0 - timedelta(hours=3))
    store.close(closed_early.id, T0 - timedelta(hours=1))
    monkeypatch.setenv("TICKETS_DB_URL", database_url)
    found = list_incidents(T0, T0 + timedelta(days=1))
    assert [i.id for i in found] == [during.id, spike.id]
    assert before.id not in [i.id for i in found]
    by_id = {i.id: i for i in found}
    assert by_id[spike.id].kind == SPIKE and by_id[spike.id].count == 12 and by_id[spike.id].closed_at is None
    assert by_id[during.id].opened_at == T0 + timedelta(hours=1)
    assert [i.id for i in list_incidents(T0 - timedelta(hours=2), T0)] == [closed_early.id]
    with pytest.raises(ValueError):
        list_incidents(datetime(2026, 11, 22), T0)   # naive: refused, times are compared across zones


def test_default_notice_texts_are_polite_and_name_the_topic():
    bank = default_notice_text("bank:MANDIRI")
    assert "penarikan ke Mandiri sedang terganggu" in bank and "Dana Anda aman" in bank
    assert "jaringan TRC20" in default_notice_text("network:TRC20")
    assert "USDT" in default_notice_text("coin:USDT")
    assert customer_message("Maaf, BCA sedang gangguan.").startswith("Maaf, BCA")      # no double apology
    assert customer_message(bank).endswith("agen kami.")                               # a report is still possible
