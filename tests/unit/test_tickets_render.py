"""bot.tickets.render: Telegram HTML (escaped, within 4096), CLI text and table, JSON dict."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from bot.text_limits import utf16_length
from bot.tickets import WIB, Detail, Ticket, TranscriptLine
from bot.tickets.outbox import Delivery
from bot.tickets.render import TELEGRAM_LIMIT, telegram_html, ticket_dict, ticket_table, ticket_text
from tests.tickets.drafts import MOMENT, make_draft
from tests.tickets.fakes import telegram_html_problems


def make_ticket(**overrides) -> Ticket:
    draft = make_draft(**overrides)
    return Ticket.from_draft(draft, id="CS-20261122-0042", status="open", created_at=MOMENT,
                             sla_due_at=datetime(2026, 11, 22, 14, 15, tzinfo=WIB))


def test_telegram_message_has_everything_an_agent_needs():
    ticket = make_ticket(flags=("secret_shared:seed_phrase", "repeat_contact"))
    text = telegram_html(ticket)
    assert telegram_html_problems(text) == []
    first_lines = text.splitlines()[:2]
    assert "CS-20261122-0042" in first_lines[0]
    assert "PERHATIAN" in first_lines[1] and "frasa pemulihan (seed phrase)" in first_lines[1]  # warning on top
    for expected in ("<b>Prioritas:</b> Tinggi", "<b>Kategori:</b> Penarikan kripto",
                     "<b>Batas respons (SLA):</b> 22 Nov 2026 14:15 WIB", "<b>Dibuat:</b> 22 Nov 2026 10:15 WIB",
                     "<b>Pelanggan:</b> Budi Santoso (id: tg-88123)", "<b>Kanal:</b> telegram",
                     "<b>Suasana hati:</b> Kesal", "WD 150 USDT via TRC20 belum masuk sejak semalam",
                     "✅ Aset: <code>USDT</code> <i>(valid)</i>",
                     "⚠️ Alamat tujuan: <code>TQ4ge3kZ2DuYtVv9ZnG7Ezj2kXsTVLdLgX</code> "
                     "<i>(belum terverifikasi: checksum alamat tidak cocok)</i>",
                     "🔎 Jaringan: <code>TRC20</code> <i>(disimpulkan: disimpulkan dari format alamat)</i>",
                     "❔ TXID: - <i>(tidak diketahui)</i>",
                     "withdraw-crypto-pending, network-mismatch", "<b>Tanda:</b> repeat_contact",
                     "<b>Pelanggan:</b> trc20, udah 12 jam", "<b>Asisten:</b> Mohon maaf",
                     "python -m bot.tickets show CS-20261122-0042"):
        assert expected in text, expected


def test_customer_text_is_html_escaped_everywhere():
    hostile = '<script>alert("x")</script> & <b>tebal</b> &amp;'
    ticket = make_ticket(customer_name=hostile, summary=hostile, kb_articles=(hostile,), flags=(hostile,),
                         details=(Detail("description", hostile, hostile, "unverified", hostile),),
                         transcript=(TranscriptLine(MOMENT, "customer", hostile),))
    text = telegram_html(ticket)
    assert telegram_html_problems(text) == []
    assert "<script>" not in text and "<b>tebal</b>" not in text
    assert "&lt;script&gt;" in text and "&amp; &lt;b&gt;tebal&lt;/b&gt; &amp;amp;" in text


def test_long_transcript_is_cut_to_4096_keeping_the_newest_lines():
    lines = tuple(TranscriptLine(MOMENT + timedelta(seconds=i), "customer" if i % 2 else "assistant",
                                 f"pesan nomor {i} " + "<&> " * 120) for i in range(200))
    text = telegram_html(make_ticket(transcript=lines))
    assert utf16_length(text) <= TELEGRAM_LIMIT
    assert telegram_html_problems(text) == []
    assert "pesan nomor 199" in text and "pesan nomor 0 " not in text
    assert "pesan sebelumnya tidak ditampilkan" in text
    assert "Percakapan</b> (200 pesan)" in text
    assert text.rstrip().endswith("<code>python -m bot.tickets show CS-20261122-0042</code>")
    assert "Rincian" in text and "Alamat tujuan" in text  # the facts are never what gets cut


def test_emoji_are_counted_as_telegram_counts_them():
    lines = tuple(TranscriptLine(MOMENT, "customer", "😡" * 600) for _ in range(20))
    text = telegram_html(make_ticket(transcript=lines))
    assert len(text) < utf16_length(text) <= TELEGRAM_LIMIT  # each emoji is two UTF-16 units
    assert telegram_html_problems(text) == []


def test_absurdly_many_details_still_give_a_valid_message():
    details = tuple(Detail(f"d{i}", f"Rincian {i}", "x" * 400, "valid", "<catatan>" * 30) for i in range(80))
    text = telegram_html(make_ticket(details=details))
    assert utf16_length(text) <= TELEGRAM_LIMIT
    assert telegram_html_problems(text) == []
    assert "… (dipotong)" in text and "show CS-20261122-0042" in text


def test_cli_text_is_complete_and_strips_terminal_control_characters():
    long_line = "kata " * 2000
    ticket = make_ticket(summary="WD belum masuk \x1b[31mMERAH\x1b[0m",
                         transcript=(TranscriptLine(MOMENT, "customer", long_line),
                                     TranscriptLine(MOMENT, "assistant", "baris satu\nbaris dua")))
    deliveries = [
        Delivery(1, ticket.id, "telegram_agen", "sent", 1, MOMENT, MOMENT, None, MOMENT + timedelta(seconds=3)),
        Delivery(2, ticket.id, "helpdesk", "pending", 3, MOMENT, MOMENT + timedelta(seconds=40), "HTTP 503", None),
        Delivery(3, ticket.id, "cadangan", "pending", 0, MOMENT, MOMENT, None, None),
    ]
    text = ticket_text(ticket, deliveries, now=MOMENT + timedelta(days=1))
    assert "\x1b" not in text and "WD belum masuk [31mMERAH[0m" in text
    assert long_line.strip() in text  # the terminal view is never shortened
    assert "Batas respons (SLA) : 22 Nov 2026 14:15 WIB — SUDAH LEWAT" in text
    assert "baris satu\n      baris dua" in text
    assert "telegram_agen: terkirim 22 Nov 2026 10:15 WIB (1 percobaan)" in text
    assert "helpdesk: menunggu, 3 percobaan, berikutnya 22 Nov 2026 10:15 WIB; galat terakhir: HTTP 503" in text
    assert "cadangan: menunggu, belum dicoba" in text
    assert "⚠️ Alamat tujuan: TQ4ge3kZ2DuYtVv9ZnG7Ezj2kXsTVLdLgX (belum terverifikasi: checksum alamat tidak cocok)" \
        in text


def test_table_columns_line_up():
    tickets = [make_ticket(), replace(make_ticket(customer_name=None, priority="urgent", category="fraud",
                                                  summary="Ditipu \u201cadmin\u201d palsu"), id="CS-20261122-0043")]
    table = ticket_table(tickets, now=MOMENT).splitlines()
    assert table[0].split() == ["ID", "Dibuat", "(WIB)", "Prioritas", "Kategori", "Pelanggan", "Batas", "SLA",
                                "(WIB)", "Ringkasan"]
    for header in ("Prioritas", "Kategori", "Pelanggan", "Batas SLA", "Ringkasan"):
        column = table[0].index(header)
        assert all(line[column - 2:column] == "  " for line in table[1:]), header  # every row has a gap there
    assert "Mendesak" in table[2] and "Penipuan" in table[2] and "tg-88123" in table[2]
    assert table[2].index("Mendesak") == table[1].index("Tinggi") == table[0].index("Prioritas")


def test_overdue_tickets_are_marked_in_the_table():
    table = ticket_table([make_ticket()], now=datetime(2026, 11, 22, 15, 0, tzinfo=WIB))
    assert "22 Nov 14:15 (lewat)" in table


def test_json_dict_round_trips_and_uses_iso_times():
    ticket = make_ticket()
    data = json.loads(json.dumps(ticket_dict(ticket)))
    assert list(data)[:5] == ["id", "priority", "category", "status", "created_at"]
    assert datetime.fromisoformat(data["created_at"]) == ticket.created_at
    assert datetime.fromisoformat(data["sla_due_at"]) == ticket.sla_due_at
    assert datetime.fromisoformat(data["transcript"][0]["at"]) == MOMENT
    assert data["customer"] == {"id": "tg-88123", "name": "Budi Santoso"}
    assert data["details"][4] == {"name": "address", "label": "Alamat tujuan",
                                  "value": "TQ4ge3kZ2DuYtVv9ZnG7Ezj2kXsTVLdLgX", "status": "unverified",
                                  "note": "checksum alamat tidak cocok"}
    assert data["labels"] == {"priority": "Tinggi", "category": "Penarikan kripto", "status": "Terbuka",
                              "sentiment": "Kesal"}
    assert data["closed_at"] is None
