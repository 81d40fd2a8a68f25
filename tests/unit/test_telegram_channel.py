"""Telegram channel: HTML escaping and splitting, update parsing, the callback-data map, settings, and the
output channel / update handling against a local fake Bot API (no network, no Rasa server)."""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from typing import Any, Iterator, List

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from telegram.ext import AIORateLimiter

from bot.channels import TelegramInput
from bot.channels.common import MAX_BODY_BYTES, RequestError
from bot.channels.telegram import POLLING, WEBHOOK, TelegramSettings, resolve_mode, secret_matches
from bot.channels.telegram_buttons import MAX_CALLBACK_BYTES, ButtonStore, fits_callback_data, token_for
from bot.channels.telegram_format import MAX_MESSAGE_UTF16, html_parts, to_html
from bot.channels.telegram_output import TelegramOutput, make_bot, plain_text, typing
from bot.channels.telegram_runtime import GREET_PAYLOAD, TelegramRuntime
from bot.channels.telegram_updates import (
    CALLBACK,
    IGNORED,
    NON_TEXT,
    START,
    TEXT,
    chat_of,
    is_start_command,
    parse_update,
    parse_webhook_body,
    sender_for,
)
from bot.text_limits import utf16_length
from bot.wording import NON_TEXT_REPLY
from nlu.payloads import button_payload
from tests.channels import telegram_builders as build
from tests.channels.fake_telegram import FakeBotAPI, visible_length
from tests.tickets.fakes import telegram_html_problems

LONG_PAYLOAD = button_payload("choose_article", article_id="penarikan-kripto-tertunda-karena-jaringan-padat")


@pytest.fixture()
def state_db(tmp_path, monkeypatch) -> Any:
    """``CHANNEL_STATE_DB`` in a temporary folder (SeenStore and ButtonStore share it)."""
    path = tmp_path / "channels.db"
    monkeypatch.setenv("CHANNEL_STATE_DB", str(path))
    return path


@pytest.fixture(scope="module")
def api() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(max_poll_wait=0.5)
    yield server
    server.close()


# --- escaping and **bold** ------------------------------------------------------------------------------

def test_text_is_escaped():
    assert to_html("saldo < 10 & fee > 5") == "saldo &lt; 10 &amp; fee &gt; 5"
    assert to_html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert to_html("&amp; sudah escape?") == "&amp;amp; sudah escape?"


def test_bold_markdown_becomes_b_tags():
    assert to_html("**Cara reset 2FA**\n1. Buka menu") == "<b>Cara reset 2FA</b>\n1. Buka menu"
    assert to_html("pakai **BEP20** atau **TRC20**") == "pakai <b>BEP20</b> atau <b>TRC20</b>"


def test_bold_is_converted_after_escaping():
    assert to_html("**<i>x</i> & y**") == "<b>&lt;i&gt;x&lt;/i&gt; &amp; y</b>"
    assert to_html("**</b><a href='x'>klik</a>**") == "<b>&lt;/b&gt;&lt;a href='x'&gt;klik&lt;/a&gt;</b>"


@pytest.mark.parametrize("text", ["**", "****", "** spasi**", "**tidak ditutup", "2 ** 3 = 8", "**a\nb**", "*satu*"])
def test_unmatched_or_odd_asterisks_stay_literal(text):
    assert "<b>" not in to_html(text)
    assert telegram_html_problems(to_html(text)) == []


def _pieces(alphabet: List[str], min_size: int = 0, max_size: int = 80) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(alphabet), min_size=min_size, max_size=max_size).map("".join)


@given(_pieces(list("ab *<>&\n'\"") + ["**", "</b>", "<b>", "😀"]))
def test_any_text_becomes_valid_telegram_html(text):
    rendered = to_html(text)
    assert telegram_html_problems(rendered) == []
    assert html.unescape(re.sub(r"</?b>", "", rendered)).replace("**", "") == text.replace("**", "")


# --- splitting ------------------------------------------------------------------------------------------

def _words(text: str) -> List[str]:
    return text.split()


def test_short_text_is_one_part():
    assert html_parts("Halo **Budi**!") == ["Halo <b>Budi</b>!"]


def test_6000_character_answer_is_split_under_the_limit():
    paragraph = "Langkah penarikan: buka menu Aset, pilih koin, isi alamat & jaringan yang sama. "
    text = "**Panduan penarikan**\n" + "\n".join(paragraph for _ in range(6000 // len(paragraph) + 1))
    assert len(text) > 6000
    parts = html_parts(text)
    assert len(parts) == 2
    assert all(utf16_length(p) <= MAX_MESSAGE_UTF16 and telegram_html_problems(p) == [] for p in parts)
    assert parts[0].startswith("<b>Panduan penarikan</b>")
    assert _words(" ".join(plain_text(p) for p in parts)) == _words(text.replace("**", ""))


def test_length_is_counted_after_escaping():
    text = "&" * 4000                      # 4000 characters, 20000 after escaping
    parts = html_parts(text)
    assert len(parts) >= 5
    assert all(utf16_length(p) <= MAX_MESSAGE_UTF16 for p in parts)
    assert "".join(html.unescape(p) for p in parts) == text
    assert all(not p.endswith(("&", "&a", "&am", "&amp")) or p.endswith("&amp;") for p in parts)


def test_emoji_count_double():
    text = "😀" * 3000                     # 3000 characters, 6000 UTF-16 units
    parts = html_parts(text)
    assert len(parts) == 2 and all(utf16_length(p) <= MAX_MESSAGE_UTF16 for p in parts)
    assert "".join(parts) == text


@given(_pieces(list("ab <&>\n.") + ["**", "😀", "kata "], min_size=1, max_size=200),
       st.integers(min_value=20, max_value=120))
def test_parts_never_exceed_the_limit_and_keep_every_word(text, limit):
    parts = html_parts(text, limit)
    assert all(utf16_length(p) <= limit and telegram_html_problems(p) == [] for p in parts)
    rebuilt = " ".join(html.unescape(re.sub(r"</?b>", "", p)) for p in parts)
    assert "".join(rebuilt.replace("*", "").split()) == "".join(text.replace("*", "").split())


# --- update parsing -------------------------------------------------------------------------------------

def test_text_message():
    incoming = parse_update(build.text_update(5, 1234, "wd gw nyangkut", first_name="Siti"))
    assert (incoming.kind, incoming.chat_id, incoming.user_id, incoming.first_name, incoming.text) == \
        (TEXT, 1234, 1234, "Siti", "wd gw nyangkut")
    assert incoming.sender_id == "tg-1234" == sender_for(1234) and chat_of("tg-1234") == 1234


@pytest.mark.parametrize("text", ["/start", "/start@cs_kripto_bot", "/start promo-123", " /START "])
def test_start_command(text):
    assert is_start_command(text)
    assert parse_update(build.text_update(1, 9, text)).kind == START


@pytest.mark.parametrize("text", ["/starter", "start", "/greet", "tolong /start"])
def test_not_start_command(text):
    assert parse_update(build.text_update(1, 9, text)).kind == TEXT


@pytest.mark.parametrize("update", [build.photo_update(1, 9), build.photo_update(1, 9, caption="bukti tf"),
                                    build.sticker_update(1, 9),
                                    {"update_id": 1, "message": build.message(9, voice={"file_id": "v"})},
                                    {"update_id": 1, "message": build.message(9, document={"file_id": "d"})}])
def test_non_text_messages(update):
    assert parse_update(update).kind == NON_TEXT


@pytest.mark.parametrize("update", [
    build.edited_update(1, 9, "ralat"),
    {"update_id": 1, "channel_post": {"message_id": 1, "chat": {"id": -100, "type": "channel"}, "text": "x"}},
    {"update_id": 1, "my_chat_member": {"chat": {"id": 9}}},
    {"update_id": 1},
    {"update_id": 1, "message": {**build.message(9, text="halo"), "chat": {"id": -5, "type": "group"}}},
    {"update_id": 1, "message": {**build.message(9, text="halo"), "from": {"id": 9, "is_bot": True}}},
    {"update_id": 1, "message": build.message(9, new_chat_members=[])},
])
def test_other_updates_are_ignored(update):
    assert parse_update(update).kind == IGNORED


def test_callback_query():
    incoming = parse_update(build.callback_update(3, 77, "/affirm", query_id="q1"))
    assert (incoming.kind, incoming.chat_id, incoming.callback_id, incoming.callback_data) == \
        (CALLBACK, 77, "q1", "/affirm")


def test_callback_without_message_has_no_chat():
    update = build.callback_update(3, 77, "/affirm")
    del update["callback_query"]["message"]
    incoming = parse_update(update)
    assert incoming.kind == CALLBACK and incoming.chat_id is None


def test_first_name_is_cleaned_and_clipped():
    incoming = parse_update(build.text_update(1, 9, "halo", first_name="  Bu\u0000di \n  " + "x" * 100))
    assert incoming.first_name.startswith("Budi x") and len(incoming.first_name) == 64
    assert parse_update(build.text_update(1, 9, "halo", first_name="\u200b")).first_name in (None, "\u200b")


@pytest.mark.parametrize("update", [
    [], "x", None, {}, {"update_id": "5"}, {"update_id": True}, {"update_id": 1.5}, {"update_id": 2 ** 60},
    {"update_id": 1, "message": "halo"}, {"update_id": 1, "message": {"text": "halo"}},
    {"update_id": 1, "message": {"chat": {"id": "9"}, "text": "halo"}},
    {"update_id": 1, "message": {**build.message(9), "text": 42}},
    {"update_id": 1, "message": {**build.message(9, text="x"), "from": {"id": 9, "is_bot": "no"}}},
    {"update_id": 1, "message": {**build.message(9, text="x"), "from": "budi"}},
    {"update_id": 1, "callback_query": {"id": "", "from": build.user(9), "data": "/affirm"}},
    {"update_id": 1, "callback_query": {"id": "q", "from": build.user(9), "data": 5}},
    {"update_id": 1, "callback_query": {"id": "q", "data": "/affirm"}},
])
def test_wrong_types_are_400(update):
    with pytest.raises(RequestError) as error:
        parse_update(update)
    assert error.value.status == 400


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1]", b"update_id=1", b"null"])
def test_malformed_webhook_bodies_are_400(raw):
    with pytest.raises(RequestError) as error:
        parse_webhook_body(raw)
    assert error.value.status == 400


def test_webhook_body_over_one_megabyte_is_413():
    body = json.dumps(build.text_update(1, 9, "a" * MAX_BODY_BYTES)).encode()
    with pytest.raises(RequestError) as error:
        parse_webhook_body(body)
    assert error.value.status == 413


# --- callback data map ----------------------------------------------------------------------------------

def test_short_own_payload_is_its_own_callback_data(state_db):
    store = ButtonStore()
    assert store.issue(9, "/affirm") == "/affirm"
    assert store.resolve(9, "/affirm") == "/affirm"


def test_long_payload_gets_a_short_token(state_db):
    assert len(LONG_PAYLOAD.encode()) > MAX_CALLBACK_BYTES and not fits_callback_data(LONG_PAYLOAD)
    store = ButtonStore()
    data = store.issue(9, LONG_PAYLOAD)
    assert data == token_for(LONG_PAYLOAD) and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert store.resolve(9, data) == LONG_PAYLOAD
    assert ButtonStore().resolve(9, data) == LONG_PAYLOAD          # survives a restart (same SQLite file)


def test_data_never_issued_or_issued_elsewhere_is_refused(state_db):
    store = ButtonStore()
    store.issue(9, "/deny")
    assert store.resolve(9, "/affirm") is None                     # an own payload, but never shown here
    assert store.resolve(10, "/deny") is None                      # shown to another chat
    assert store.resolve(9, token_for(LONG_PAYLOAD)) is None
    assert store.resolve(9, '/choose_article{"article_id":"x"}') is None


def test_issued_foreign_payload_is_still_refused(state_db, caplog):
    store = ButtonStore()
    with caplog.at_level(logging.WARNING):
        data = store.issue(9, '/restart')
    assert "not an assistant payload" in caplog.text
    assert store.resolve(9, data) is None


def test_old_buttons_expire(state_db):
    store = ButtonStore(keep_seconds=-1)
    store.issue(9, "/affirm")
    assert store.resolve(9, "/affirm") is None


def test_inline_keyboard_rows(state_db):
    rows = ButtonStore().inline_keyboard(9, [{"title": "Ya", "payload": "/affirm"}, {"title": "", "payload": "/deny"},
                                             {"title": "Artikel", "payload": LONG_PAYLOAD}])
    assert rows == [[{"text": "Ya", "callback_data": "/affirm"}],
                    [{"text": "Artikel", "callback_data": token_for(LONG_PAYLOAD)}]]


# --- settings -------------------------------------------------------------------------------------------

@pytest.fixture()
def clean_env(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_MODE", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL",
                 "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_mode_defaults():
    assert resolve_mode("", "rahasia") == WEBHOOK and resolve_mode("", "") == POLLING
    assert resolve_mode(" Polling ", "rahasia") == POLLING and resolve_mode("webhook", "") == WEBHOOK


def test_settings_from_environment_and_credentials(clean_env):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:env")
    clean_env.setenv("TELEGRAM_WEBHOOK_SECRET", "env-secret")
    settings = TelegramSettings.load({"webhook_url": "https://cs.example/webhooks/telegram/webhook"})
    assert (settings.token, settings.mode, settings.webhook_secret) == ("1:env", WEBHOOK, "env-secret")
    assert settings.webhook_url == "https://cs.example/webhooks/telegram/webhook"
    assert settings.api_base_url == "https://api.telegram.org/bot" and settings.missing() == []
    assert TelegramSettings.load({"bot_token": "2:cred", "mode": "polling"}).token == "2:cred"


@pytest.mark.parametrize(("values", "missing"), [
    ({}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_MODE": "webhook"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_MODE": "push"}, "TELEGRAM_MODE"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "rahasia dengan spasi"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "x" * 257}, "TELEGRAM_WEBHOOK_SECRET"),
])
def test_incomplete_settings_disable_the_channel(clean_env, caplog, values, missing):
    for name, value in values.items():
        clean_env.setenv(name, value)
    channel = TelegramInput.from_credentials(None)
    assert missing in channel.settings.missing()[0]
    clean_env.setattr("bot.channels.common._logged_disabled", set())
    with caplog.at_level(logging.WARNING):
        blueprint = channel.blueprint(lambda message: asyncio.sleep(0))
        TelegramInput.from_credentials(None).blueprint(lambda message: asyncio.sleep(0))
    assert blueprint.name == "disabled_Telegram"
    lines = [r.getMessage() for r in caplog.records if "Telegram channel disabled" in r.getMessage()]
    assert len(lines) == 1 and missing in lines[0]


def test_polling_without_secret_is_enabled(clean_env, state_db):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    channel = TelegramInput.from_credentials(None)
    assert channel.settings.mode == POLLING and channel.settings.missing() == []
    assert channel.blueprint(lambda message: asyncio.sleep(0)).name == "telegram_webhook"


def test_secret_comparison():
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cre", "s3cret") and not secret_matches("", "s3cret")
    assert not secret_matches("", "") and not secret_matches("rahasia-ü", "rahasia-u")


# --- output channel and update handling against the fake Bot API ----------------------------------------

async def test_output_splits_escapes_and_adds_keyboard(api, state_db):
    bot = make_bot(api.token, api.api_url)
    output = TelegramOutput(bot, ButtonStore())
    chat = 501
    answer = "**Penarikan <USDT> & jaringan**\n" + "Pastikan jaringan sama dengan alamat tujuan. " * 140
    await output.send_text_with_buttons(sender_for(chat), answer, [
        {"title": "Membantu", "payload": "/affirm"}, {"title": "Artikel lain", "payload": LONG_PAYLOAD}])
    await bot.shutdown()
    sent = api.messages(chat)
    assert len(sent) == 2 and not api.refused()
    assert sent[0]["parse_mode"] == "HTML"
    assert sent[0]["text"].startswith("<b>Penarikan &lt;USDT&gt; &amp; jaringan</b>")
    assert all(visible_length(m["text"], "HTML") <= 4096 for m in sent)
    assert "reply_markup" not in sent[0]
    keyboard = sent[1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["/affirm", token_for(LONG_PAYLOAD)]


async def test_a_reply_refused_with_429_is_sent_once_after_the_wait_telegram_asked_for(api, state_db):
    """The flood limiter does not retry (max_retries=0): the reply's one capped wait does, so Telegram sees
    the refused call and one retry, and the customer gets the message once."""
    bot = make_bot(api.token, api.api_url)
    assert isinstance(bot.rate_limiter, AIORateLimiter) and bot.rate_limiter._max_retries == 0
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await TelegramOutput(bot, ButtonStore()).send_text_message(sender_for(503), "Dana Anda sedang kami cek.")
    await bot.shutdown()
    assert [c.params["chat_id"] for c in api.calls_to("sendMessage")].count("503") == 2
    assert [m["text"] for m in api.messages(503)] == ["Dana Anda sedang kami cek."]


async def test_typing_indicator(api):
    bot = make_bot(api.token, api.api_url)
    async with typing(bot, 502):
        await asyncio.sleep(0.3)
    await bot.shutdown()
    assert [c.params["chat_id"] for c in api.calls_to("sendChatAction")].count("502") == 1


class Assistant:
    """Stands in for Rasa's message handler: records messages and answers with a knowledge-style reply."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_with_buttons(
            message.sender_id, f"**Jawaban** untuk: {message.text}", [{"title": "Membantu", "payload": "/affirm"}])


async def test_updates_are_handled_once_in_order_with_callbacks_checked(api, state_db):
    assistant = Assistant()
    runtime = TelegramRuntime(api.token, api.api_url, assistant)
    runtime.open()
    chat, other = 601, 602
    updates = [build.text_update(1, chat, "lupa password", first_name="Rina"),
               build.text_update(1, chat, "lupa password"),                    # replay
               build.photo_update(2, chat),
               build.edited_update(3, chat, "ralat"),
               build.callback_update(4, chat, "/affirm", query_id="q-ok"),
               build.callback_update(5, chat, "/request_human", query_id="q-forged"),   # never issued
               build.callback_update(6, other, "/affirm", query_id="q-other"),          # issued to another chat
               build.text_update(7, chat, "/start"),
               build.text_update(8, chat, "seed phrase saya legal winner thank year wave sausage worth useful "
                                          "legal winner thank yellow")]
    accepted = [runtime.accept(parse_update(u)) for u in updates]
    await runtime.tasks.drain()
    assert accepted == [True, False, True, True, True, True, True, True, True]
    assert [m.text for m in assistant.messages][:3] == ["lupa password", "/affirm", GREET_PAYLOAD]
    first = assistant.messages[0]
    assert (first.sender_id, first.input_channel) == ("tg-601", "telegram")
    assert first.metadata == {"telegram_user_id": chat, "customer_name": "Rina"}
    assert "sausage" not in assistant.messages[3].text and assistant.messages[3].metadata["redacted_secrets"]
    answered = [c.params["callback_query_id"] for c in api.calls_to("answerCallbackQuery")]
    assert {"q-ok", "q-forged", "q-other"} <= set(answered)
    assert NON_TEXT_REPLY in [m["text"] for m in api.messages(chat)]
    assert not api.messages(other)
    # a restart (new stores on the same file) still knows the update
    assert not TelegramRuntime(api.token, api.api_url, assistant).accept(parse_update(updates[0]))
    await runtime.stop()


async def test_a_failure_gets_the_apology(api, state_db):
    async def broken(message: UserMessage) -> None:
        raise RuntimeError("agent down")

    runtime = TelegramRuntime(api.token, api.api_url, broken)
    runtime.open()
    runtime.accept(parse_update(build.text_update(1, 701, "halo")))
    await runtime.tasks.drain()
    await runtime.stop()
    assert "Mohon maaf" in api.messages(701)[-1]["text"]


async def test_polling_deletes_the_webhook_then_reads_updates(api, state_db):
    api.webhook = {"url": "https://lama.example/hook"}               # left over: getUpdates would get 409
    assistant = Assistant()
    runtime = TelegramRuntime(api.token, api.api_url, assistant)
    await runtime.start()
    runtime.start_polling()
    api.push(build.text_update(None, 801, "cara deposit"))           # type: ignore[arg-type]
    for _ in range(100):
        if assistant.messages:
            break
        await asyncio.sleep(0.05)
    api.push(build.text_update(None, 801, "cara deposit"))           # type: ignore[arg-type]
    for _ in range(100):
        if len(assistant.messages) >= 2:
            break
        await asyncio.sleep(0.05)
    await runtime.stop()
    assert [m.text for m in assistant.messages] == ["cara deposit", "cara deposit"]
    methods = [c.method for c in api.calls if c.method in ("deleteWebhook", "getUpdates")]
    assert methods[0] == "deleteWebhook" and "getUpdates" in methods
    assert not [c for c in api.refused() if c.method == "getUpdates"]


def test_plain_text_form_answers_are_honoured_buttons(state_db):
    store = ButtonStore()
    data = store.issue(9, "Penarikan")
    assert data == "Penarikan" and store.resolve(9, data) == "Penarikan"
    assert store.resolve(10, data) is None


async def test_a_malformed_getme_degrades_the_channel_and_it_recovers_without_a_restart(api, state_db, caplog):
    api.me_override = {"id": 777000, "first_name": "CS Kripto"}       # "is_bot" missing: the library refuses it
    runtime = TelegramRuntime(api.token, api.api_url, Assistant())
    await runtime.start()                                            # must not raise
    assert runtime.problem and "getMe failed" in runtime.problem
    api.me_override = None                                           # the platform answers properly again
    for _ in range(100):
        if runtime.problem is None:
            break
        await asyncio.sleep(0.1)
    assert runtime.problem is None and runtime.bot.username == "cs_kripto_bot"
    assert sum("degraded" in r.getMessage() for r in caplog.records) == 1   # one line, not one per retry
    await runtime.stop()


async def test_a_failing_getme_retries_with_backoff_and_stops_cleanly(api, state_db):
    before = len(api.calls_to("getMe"))        # the fake Bot API is shared with earlier tests
    api.fail("getMe", status=500, times=1000)
    runtime = TelegramRuntime(api.token, api.api_url, Assistant())
    await runtime.start()
    await asyncio.sleep(1.5)
    assert runtime.problem and 2 <= len(api.calls_to("getMe")) - before <= 3   # 1 s, then 2 s between tries
    await runtime.stop()
    calls = len(api.calls_to("getMe"))
    await asyncio.sleep(1.2)
    assert len(api.calls_to("getMe")) == calls                       # no retry after stop
    api.clear_failures()
