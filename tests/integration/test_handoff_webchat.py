"""Live handoff in the web chat widget (Debian Chromium via Playwright) against the real servers.

A customer reports a problem in the widget and gets a ticket -> the bot goes quiet and says so once -> an
agent (CLI) claims and replies, and the reply appears live in the open page -> a reply written while the
customer is away is shown once when the widget comes back -> the agent closes, the customer taps a rating.
The typing indicator stops when the server says a message got all its replies (``reply_done``), even none.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, List

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from bot.handoff.model import CUSTOMER_TARGET
from bot.handoff.store import HandoffStore
from bot.handoff.survey import rating_payload
from bot.tickets.schema import message_outbox
from tests.integration.conftest import wait_for
from tests.integration.test_handoff_rest import cli

# The page helpers of the existing Chromium tests (their browser fixtures are in conftest.py).
from tests.integration.test_webchat_browser import ARTIFACTS, SHADOW, demo_url, wait_connected

pytestmark = pytest.mark.integration


TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")
LIVE_TIMEOUT_MS = 15_000
BOT_TIMEOUT_MS = 30_000
CONFIRM = "Ya, kirim ke agen"
FIRST_REPLY = "Dana Anda sudah kami kembalikan ke rekening BCA.\nMohon cek saldo dalam 1x24 jam."
AWAY_REPLY = "Saldo Anda sudah kami cek."
RATINGS = ["5 - Sangat puas", "4 - Puas", "3 - Cukup", "2 - Kurang puas", "1 - Tidak puas"]
SCREENSHOT = ARTIFACTS / "webchat-handoff.png"


@pytest.fixture()
def handoffs(servers: Any) -> Iterator[HandoffStore]:
    from bot.tickets.database import connect

    database = connect(servers.config.tickets_db_url)
    yield HandoffStore(database)
    database.reader.dispose()
    database.writer.dispose()


# ------------------------------------------------------------------------------------------- page helpers

SR_PREFIX = re.compile(r"^Asisten:\s*")


def bot_texts(tab) -> List[str]:
    """What each bot bubble shows (innerText: line breaks kept), without the screen-reader prefix."""
    return [SR_PREFIX.sub("", text) for text in tab.locator(".kcs-bot .kcs-bubble").all_inner_texts()]


def wait_for_new_bot(tab, before: int, text: str, timeout: float = BOT_TIMEOUT_MS) -> None:
    """Wait until a bot bubble after the first ``before`` ones shows ``text`` (line breaks included)."""
    tab.wait_for_function(f"([n, t]) => [...{SHADOW}.querySelectorAll('.kcs-bot .kcs-bubble')].slice(n)"
                          ".some(b => b.innerText.includes(t))", arg=[before, text], timeout=timeout)


def bot_bubbles(tab, text: Any):
    """Bot bubbles containing ``text`` (a string or a compiled pattern)."""
    return tab.locator(".kcs-bot .kcs-bubble", has_text=text)


def type_and_send(tab, text: str) -> None:
    tab.locator(".kcs-input").fill(text)
    tab.keyboard.press("Enter")


def say_and_wait(tab, text: str, expected: str) -> None:
    """Send ``text`` and wait for a new bot bubble that contains ``expected``."""
    before = bot_bubbles(tab, expected).count()
    type_and_send(tab, text)
    expect(bot_bubbles(tab, expected)).to_have_count(before + 1, timeout=BOT_TIMEOUT_MS)


def session_id_of(tab) -> str:
    return tab.evaluate("() => JSON.parse(Object.values(localStorage)[0]).sessionId")


def stored_bot_texts(tab) -> List[str]:
    """The bot messages the widget kept in localStorage (what a reload shows)."""
    return tab.evaluate("() => JSON.parse(Object.values(localStorage)[0]).messages"
                        ".filter(m => m.who === 'bot').map(m => m.text)")


# ------------------------------------------------------------------------------------------- the journey

def report_a_failed_withdrawal(tab) -> str:
    """Report through the widget, confirm with the summary's button; the ticket id the customer was given."""
    say_and_wait(tab, "tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong", "Berapa jumlahnya")
    say_and_wait(tab, "1,5 jt", "Kapan transaksinya")
    say_and_wait(tab, "kemarin jam 10", "nomor referensi")
    say_and_wait(tab, "tidak tahu", "4 digit terakhir")
    say_and_wait(tab, "1234", "Apakah sudah benar")
    summary = bot_bubbles(tab, "Apakah sudah benar").last.inner_text()
    assert "Rp 1.500.000" in summary and "BCA ••••1234" in summary
    before = len(bot_texts(tab))
    tab.locator(".kcs-choice", has_text=CONFIRM).click()
    wait_for_new_bot(tab, before, "paling lambat")                # the last message of the ticket's turn
    assert tab.locator(".kcs-user .kcs-bubble").last.inner_text().endswith(CONFIRM)   # the title, not /affirm
    created = [text for text in bot_texts(tab)[before:] if TICKET_ID.search(text)]
    assert len(created) == 1, bot_texts(tab)[before:]
    return TICKET_ID.search(created[0]).group(0)


def rasa_saw(client: Any, sender: str, text: str) -> bool:
    """Whether the text reached Rasa (a user event in the tracker)."""
    return any(e.get("event") == "user" and e.get("text") == text for e in client.tracker(sender)["events"])


def customer_delivery(handoffs: HandoffStore, message_id: int) -> Any:
    """The outbox row that carries a thread message to the customer."""
    with handoffs.database.reader.connect() as connection:
        return connection.execute(sa.select(message_outbox).where(
            message_outbox.c.message_id == message_id, message_outbox.c.target == CUSTOMER_TARGET)).mappings().one()


def test_webchat_customer_is_served_live_by_an_agent_and_rates_the_help(servers, client, page, handoffs):
    websockets: List[Any] = []
    page.on("websocket", lambda ws: websockets.append(ws))
    page.goto(demo_url(servers))
    page.locator(".kcs-launcher").click()
    wait_connected(page)
    sender = session_id_of(page)

    # 1. the report, confirmed with the summary's button: a ticket for this web chat session
    ticket_id = report_a_failed_withdrawal(page)
    handoff = handoffs.get(ticket_id)
    assert handoff is not None and (handoff.customer_id, handoff.channel, handoff.state) == (
        sender, "socketio", "waiting")

    # 2. the bot is quiet now: one notice that the agent answers here, no knowledge answer
    before = len(bot_texts(page))
    type_and_send(page, "halo, ada kabar?")
    wait_for_new_bot(page, before, "di chat ini")
    notice = bot_texts(page)[before:]
    assert len(notice) == 1 and ticket_id in notice[0] and "paling lambat" in notice[0], notice
    wait_for(lambda: [m for m in handoffs.thread(ticket_id) if m.from_customer and m.text == "halo, ada kabar?"])
    assert rasa_saw(client, sender, "1,5 jt")                     # the check sees what the bot got ...
    assert not rasa_saw(client, sender, "halo, ada kabar?")      # ... and this went to the agents only

    # 3. the agent claims and replies from the CLI: both appear live in the open page
    page.evaluate("() => { window.__sameDocument = true; }")     # gone if the page reloads
    assert cli(servers, "claim", ticket_id, "--agent", "Rina") == 0
    wait_for_new_bot(page, before, "Agen Rina sedang menangani laporan Anda", LIVE_TIMEOUT_MS)
    assert cli(servers, "reply", ticket_id, FIRST_REPLY) == 0
    wait_for_new_bot(page, before, f"Agen Rina:\n{FIRST_REPLY}", LIVE_TIMEOUT_MS)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    after_question = bot_texts(page)[before:]
    assert len(after_question) == 3, after_question             # notice, claim, reply: nothing from the bot
    assert after_question[0] == notice[0] and "Agen Rina sedang menangani" in after_question[1]
    assert after_question[2] == f"Agen Rina:\n{FIRST_REPLY}"     # the agent's line breaks are kept

    # the customer answers the agent: forwarded, no reply, and the widget does not show "typing" for 45 s
    shown = len(bot_texts(page))
    type_and_send(page, "oke, saya cek dulu")
    page.wait_for_function(f"() => {SHADOW}.querySelector('.kcs-typing').hidden", timeout=10_000)
    assert len(bot_texts(page)) == shown                          # reply_done came after every reply: none
    assert [m.text for m in handoffs.thread(ticket_id) if m.from_customer][-1] == "oke, saya cek dulu"

    # 4. the customer leaves; a reply written meanwhile waits and is shown once when the widget is back
    assert websockets, "the widget never upgraded to WebSocket"   # so the server sees the page leave at once
    context = page.context
    page.close()
    assert cli(servers, "reply", ticket_id, AWAY_REPLY) == 0
    away = [m for m in handoffs.thread(ticket_id) if AWAY_REPLY in m.text][-1]
    held = wait_for(lambda: (lambda row: row if row["last_error"] or row["status"] == "sent" else None)(
        customer_delivery(handoffs, away.id)))                   # the worker's first attempt has finished
    assert held["status"] != "sent" and "not connected" in (held["last_error"] or ""), dict(held)

    back = context.new_page()                                     # same profile: same session id, same history
    back.goto(demo_url(servers))
    back.locator(".kcs-panel").wait_for()                         # still open from last time
    assert session_id_of(back) == sender
    expect(bot_bubbles(back, AWAY_REPLY)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    wait_connected(back)
    # shown from the held row once the widget reconnected; the worker records the delivery right after
    wait_for(lambda: customer_delivery(handoffs, away.id)["status"] == "sent", what="the held reply recorded as sent")
    shown = bot_texts(back)
    assert shown[-1] == f"Agen Rina:\n{AWAY_REPLY}"
    assert sum(FIRST_REPLY.splitlines()[0] in t for t in shown) == 1   # history is not replayed twice

    # 5. the agent closes: resolved, then the survey; the customer taps a rating
    assert cli(servers, "close", ticket_id) == 0
    expect(bot_bubbles(back, "telah menyelesaikan laporan")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    survey = back.locator(".kcs-bot", has=back.locator(".kcs-choice"))
    expect(survey).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    assert "Seberapa puas" in survey.locator(".kcs-bubble").inner_text()
    assert survey.locator(".kcs-choice").all_inner_texts() == RATINGS
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    back.locator(".kcs-bot", has_text=AWAY_REPLY).evaluate(    # the log (only) scrolled to the agent's message
        "row => { const log = row.parentElement; log.scrollTop = row.offsetTop - log.offsetTop - 8; }")
    back.screenshot(path=str(SCREENSHOT))                        # the agent's message and the rating buttons
    print(f"\nweb chat handoff screenshot: {SCREENSHOT}")

    survey.locator(".kcs-choice", has_text=RATINGS[0]).click()
    expect(bot_bubbles(back, "Terima kasih atas penilaiannya")).to_have_count(1, timeout=BOT_TIMEOUT_MS)
    assert back.locator(".kcs-user .kcs-bubble").last.inner_text().endswith(RATINGS[0])
    assert rating_payload(ticket_id, 5) not in back.locator(".kcs-log").inner_text()
    expect(back.locator(".kcs-choice")).to_have_text(["Lewati"])
    handoff = handoffs.get(ticket_id)
    assert (handoff.state, handoff.rating) == ("resolved", 5)

    shown, kept = bot_texts(back), stored_bot_texts(back)
    for text in (FIRST_REPLY, AWAY_REPLY):                         # each agent message once, on screen and stored
        assert sum(text in t for t in shown) == 1, shown
        assert sum(text in t for t in kept) == 1, kept
