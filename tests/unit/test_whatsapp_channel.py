"""WhatsApp channel: signature and handshake checks, webhook parsing, replay protection, message building
within WhatsApp's limits, issued choice ids, and sending with retries against a local fake Graph API."""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Dict, Iterator, List

import pytest

from bot.channels import WhatsAppInput, common
from bot.channels.common import RequestError
from bot.channels.whatsapp import WhatsAppOutput, WhatsAppSettings
from bot.channels.whatsapp_choices import TOKEN_PREFIX, ChoiceStore
from bot.channels.whatsapp_graph import GraphClient
from bot.channels.whatsapp_messages import (
    Choice,
    choice_messages,
    choices_from_buttons,
    text_messages,
    to_whatsapp_markup,
    unique_titles,
)
from bot.channels.whatsapp_webhook import check_signature, parse_webhook, verify_handshake
from bot.wording import APOLOGY, NON_TEXT_REPLY
from tests.channels.fake_graph import FakeGraph, message_problems
from tests.channels.meta_signature import KNOWN_BODY, KNOWN_SECRET, KNOWN_SIGNATURE, meta_signature

SECRET = "app-secret-for-tests"
WA_ID = "6281234567890"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


# --- webhook bodies -------------------------------------------------------------------------------------

def webhook(*messages: Dict[str, Any], name: str = "Budi Santoso", statuses: List[Dict[str, Any]] = (),
            phone_number_id: str = "109876543210") -> bytes:
    value: Dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_number_id}}
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}
    return json.dumps(body).encode("utf-8")


def text(body: str, message_id: str = "wamid.T1", sender: str = WA_ID) -> Dict[str, Any]:
    return {"from": sender, "id": message_id, "timestamp": str(int(time.time())), "type": "text",
            "text": {"body": body}}


def reply(kind: str, choice_id: str, title: str, message_id: str = "wamid.R1") -> Dict[str, Any]:
    return {"from": WA_ID, "id": message_id, "timestamp": str(int(time.time())), "type": "interactive",
            "interactive": {"type": kind, kind: {"id": choice_id, "title": title}}}


def media(kind: str, message_id: str = "wamid.M1") -> Dict[str, Any]:
    content = {"latitude": -6.2, "longitude": 106.8} if kind == "location" else {"id": "123", "mime_type": "x/y"}
    return {"from": WA_ID, "id": message_id, "timestamp": str(int(time.time())), "type": kind, kind: content}


STATUS = {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1750857384", "recipient_id": WA_ID}


def status_of(raw: bytes, **kwargs: Any) -> int:
    with pytest.raises(RequestError) as error:
        parse_webhook(raw, **kwargs)
    return error.value.status


# --- signature and handshake ---------------------------------------------------------------------------

def test_valid_signature_is_accepted():
    raw = webhook(text("halo"))
    check_signature(raw, meta_signature(raw, SECRET), SECRET)


def test_known_vector_is_accepted_and_anything_else_refused():
    assert meta_signature(KNOWN_BODY, KNOWN_SECRET) == KNOWN_SIGNATURE
    check_signature(KNOWN_BODY, KNOWN_SIGNATURE, KNOWN_SECRET)
    tampered = KNOWN_BODY.replace(b"[]", b"[{}]")
    for raw, secret in ((tampered, KNOWN_SECRET), (KNOWN_BODY, KNOWN_SECRET + "x"), (KNOWN_BODY, SECRET)):
        with pytest.raises(RequestError) as error:
            check_signature(raw, KNOWN_SIGNATURE, secret)
        assert error.value.status == 403


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_signature_is_401(header):
    with pytest.raises(RequestError) as error:
        check_signature(b"{}", header, SECRET)
    assert error.value.status == 401


@pytest.mark.parametrize("header", [
    meta_signature(b"{}", "another-secret"),
    meta_signature(b"{ }", SECRET),                       # signature of a different body
    meta_signature(b"{}", SECRET).replace("sha256=", "sha1="),
    meta_signature(b"{}", SECRET)[len("sha256="):],       # without the prefix
    "sha256=" + "é" * 64,                               # non-ASCII must not crash the comparison
])
def test_wrong_signature_is_403(header):
    with pytest.raises(RequestError) as error:
        check_signature(b"{}", header, SECRET)
    assert error.value.status == 403


def test_handshake_echoes_the_challenge():
    args = {"hub.mode": ["subscribe"], "hub.verify_token": ["verify-me"], "hub.challenge": ["1158201444"]}
    assert verify_handshake(args, "verify-me") == "1158201444"
    assert verify_handshake({k: v[0] for k, v in args.items()}, "verify-me") == "1158201444"


@pytest.mark.parametrize("args", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
    {"hub.verify_token": "verify-me", "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.challenge": "1"},
    {},
])
def test_handshake_refused_is_403(args):
    with pytest.raises(RequestError) as error:
        verify_handshake(args, "verify-me")
    assert error.value.status == 403


# --- parsing ----------------------------------------------------------------------------------------------

def test_text_message_is_read_with_sender_and_profile_name():
    [message] = parse_webhook(webhook(text("wd gw nyangkut")))
    assert (message.kind, message.text, message.wa_id, message.customer_name) == \
        ("text", "wd gw nyangkut", WA_ID, "Budi Santoso")
    assert message.sender_id == f"wa-{WA_ID}" and message.message_id == "wamid.T1"


@pytest.mark.parametrize("kind", ["button_reply", "list_reply"])
def test_interactive_replies_are_choices(kind):
    [message] = parse_webhook(webhook(reply(kind, "/affirm", "Ya, membantu")))
    assert (message.kind, message.choice_id, message.choice_title) == ("choice", "/affirm", "Ya, membantu")


def test_status_callbacks_give_no_message():
    assert parse_webhook(webhook(statuses=[STATUS])) == []
    assert parse_webhook(webhook(statuses=[dict(STATUS, status=s) for s in ("sent", "read", "failed")])) == []


@pytest.mark.parametrize("kind", ["image", "audio", "sticker", "document", "video", "location", "contacts"])
def test_non_text_messages_are_marked(kind):
    [message] = parse_webhook(webhook(media(kind)))
    assert message.kind == "non_text"


def test_reactions_are_ignored():
    reaction = {"from": WA_ID, "id": "wamid.X", "timestamp": "1", "type": "reaction",
                "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}}
    assert parse_webhook(webhook(reaction)) == []


def test_several_messages_keep_their_order():
    messages = parse_webhook(webhook(text("satu", "wamid.1"), text("dua", "wamid.2"), media("image", "wamid.3")))
    assert [(m.message_id, m.kind) for m in messages] == [("wamid.1", "text"), ("wamid.2", "text"),
                                                          ("wamid.3", "non_text")]


def test_other_business_number_and_other_fields_are_skipped():
    assert parse_webhook(webhook(text("halo"), phone_number_id="999"), phone_number_id="109876543210") == []
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]}).encode()
    assert parse_webhook(raw) == []


def test_messages_older_than_the_replay_window_are_dropped():
    old = dict(text("halo"), timestamp=str(int(time.time()) - 8 * 24 * 3600))
    assert parse_webhook(webhook(old), max_age_seconds=7 * 24 * 3600) == []
    assert len(parse_webhook(webhook(text("halo")), max_age_seconds=7 * 24 * 3600)) == 1


@pytest.mark.parametrize("raw", [
    b"", b"{", b"\xff\xfe", b"[]", b"null", b'"halo"',
    b'{"object": "page", "entry": []}',
    b'{"object": "whatsapp_business_account", "entry": {}}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": []}]}]}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": {}}}]}]}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": "x"}}]}]}',
])
def test_malformed_bodies_are_400(raw):
    assert status_of(raw) == 400


@pytest.mark.parametrize("broken", [
    {"text": {"body": 42}},
    {"text": "halo"},
    {"id": None},
    {"id": ""},
    {"from": "+62 812"},
    {"from": 6281234567890},
    {"type": None},
])
def test_wrongly_typed_message_fields_are_400(broken):
    assert status_of(webhook(dict(text("halo"), **broken))) == 400


def test_wrongly_typed_interactive_reply_is_400():
    message = reply("button_reply", "/affirm", "Ya")
    message["interactive"]["button_reply"]["id"] = 7
    assert status_of(webhook(message)) == 400


def test_absurdly_deep_json_is_400_not_a_crash():
    assert status_of(b"[" * 200_000 + b"]" * 200_000) == 400


def test_body_over_one_megabyte_is_413():
    assert status_of(webhook(text("a" * 1_000_001))) == 413


# --- replay protection and the disabled state ------------------------------------------------------------

@pytest.fixture()
def state_db(tmp_path, monkeypatch) -> Iterator[Any]:
    path = tmp_path / "channels.db"
    monkeypatch.setenv("CHANNEL_STATE_DB", str(path))
    yield path


def channel(base_url: str = "http://127.0.0.1:9/v21.0") -> WhatsAppInput:
    settings = WhatsAppSettings(verify_token="v", app_secret=SECRET, access_token="EAAtest-access-token",
                                phone_number_id="109876543210", api_base_url=base_url)
    return WhatsAppInput(settings)


def signed(raw: bytes) -> str:
    return meta_signature(raw, SECRET)


def test_replayed_webhook_is_handled_once_also_after_a_restart(state_db):
    raw = webhook(text("halo", "wamid.REPLAY"))
    first = channel()
    assert [m.message_id for m in first.accept(raw, signed(raw))] == ["wamid.REPLAY"]
    assert first.accept(raw, signed(raw)) == [] and first.accept(raw, signed(raw)) == []
    assert channel().accept(raw, signed(raw)) == []      # a new process with the same state database


def test_accept_checks_the_signature_before_reading(state_db):
    raw = webhook(text("halo", "wamid.SIG"))
    for header, status in ((None, 401), (signed(b"other"), 403)):
        with pytest.raises(RequestError) as error:
            channel().accept(raw, header)
        assert error.value.status == status
    assert [m.message_id for m in channel().accept(raw, signed(raw))] == ["wamid.SIG"]   # not marked as seen


def test_status_callback_is_accepted_without_messages(state_db):
    raw = webhook(statuses=[STATUS])
    assert channel().accept(raw, signed(raw)) == []


def test_missing_settings_disable_the_channel_with_one_log_line(monkeypatch, caplog):
    for name in ("WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "only-this-one")
    common._logged_disabled.discard("whatsapp")
    caplog.set_level(logging.WARNING)
    disabled = WhatsAppInput.from_credentials(None)
    assert not disabled.enabled and disabled.get_output_channel() is None
    blueprints = [disabled.blueprint(lambda _: None), WhatsAppInput.from_credentials({}).blueprint(lambda _: None)]
    assert all(b.name == "disabled_whatsapp" for b in blueprints)
    lines = [r.getMessage() for r in caplog.records if "whatsapp channel disabled" in r.getMessage()]
    assert lines == ["whatsapp channel disabled: set WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN, "
                     "WHATSAPP_PHONE_NUMBER_ID to enable it"]


def test_credentials_override_the_environment(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "from-env")
    monkeypatch.delenv("WHATSAPP_API_BASE_URL", raising=False)
    settings, missing = WhatsAppSettings.load({"verify_token": "from-yml", "app_secret": "s", "access_token": "t",
                                               "phone_number_id": "1"})
    assert (settings.verify_token, missing) == ("from-yml", [])
    assert settings.api_base_url == "https://graph.facebook.com/v21.0"


# --- building messages -----------------------------------------------------------------------------------

class Issued:
    """Records issued choices (the real ChoiceStore is tested below)."""

    def __init__(self) -> None:
        self.payloads: Dict[str, str] = {}

    def __call__(self, to: str, payload: str) -> str:
        store_id = payload if len(payload) <= 200 else f"{TOKEN_PREFIX}{len(self.payloads)}"
        self.payloads[store_id] = payload
        return store_id


def buttons(*titles: str) -> List[Dict[str, str]]:
    return [{"title": t, "payload": f"/choose_article{{\"article_id\":\"artikel-{i}\"}}"} for i, t in enumerate(titles)]


def test_markdown_bold_becomes_whatsapp_bold():
    assert to_whatsapp_markup("**Cara aktivasi 2FA**\nLangkah __penting__") == "*Cara aktivasi 2FA*\nLangkah *penting*"
    assert to_whatsapp_markup("2 ** 3 dan a*b") == "2 ** 3 dan a*b"


def test_long_text_is_split_within_4096_and_nothing_is_lost():
    long = " ".join(f"Kalimat nomor {i} tentang penarikan." for i in range(600))
    messages = text_messages(WA_ID, long)
    assert len(messages) >= 5 and all(not message_problems(m) for m in messages)
    assert all(len(m["text"]["body"]) <= 4096 for m in messages)
    assert " ".join(m["text"]["body"] for m in messages).split() == long.split()


def test_two_buttons_become_reply_buttons_with_payload_ids():
    issued = Issued()
    [message] = choice_messages(WA_ID, "Apakah jawaban ini membantu?", choices_from_buttons(
        [{"title": "Ya, membantu", "payload": "/affirm"}, {"title": "Belum membantu", "payload": "/deny"}]), issued)
    assert message_problems(message) == []
    interactive = message["interactive"]
    assert interactive["type"] == "button" and interactive["body"]["text"] == "Apakah jawaban ini membantu?"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [{"id": "/affirm", "title": "Ya, membantu"},
                                                                      {"id": "/deny", "title": "Belum membantu"}]


def test_three_long_titles_are_clipped_to_20_characters():
    [message] = choice_messages(WA_ID, "Pilih:", choices_from_buttons(buttons(
        "Cara aktivasi Google Authenticator", "Biaya penarikan kripto per jaringan", "Hubungi agen")), Issued())
    titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
    assert message_problems(message) == [] and all(len(t) <= 20 for t in titles)
    assert titles[0].startswith("Cara aktivasi") and titles[0].endswith("…") and titles[2] == "Hubungi agen"


def test_four_to_ten_choices_become_a_list_with_full_titles_as_descriptions():
    titles = ["Biaya penarikan kripto per jaringan", "Biaya trading spot", "Biaya deposit rupiah",
              "Hubungi agen"]
    [message] = choice_messages(WA_ID, "Supaya jawabannya tepat, maksud Anda yang mana?",
                                choices_from_buttons(buttons(*titles)), Issued())
    assert message_problems(message) == []
    interactive = message["interactive"]
    assert interactive["type"] == "list" and len(interactive["action"]["button"]) <= 20
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [b["payload"] for b in buttons(*titles)]
    assert rows[0]["title"].endswith("…") and len(rows[0]["title"]) <= 24
    assert rows[0]["description"] == "Biaya penarikan kripto per jaringan"
    assert "description" not in rows[1]   # fits: shown once


def test_more_than_ten_choices_list_the_first_ten():
    titles = [f"Artikel bantuan nomor {i}" for i in range(14)]
    [message] = choice_messages(WA_ID, "Pilih:", choices_from_buttons(buttons(*titles)), Issued())
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert message_problems(message) == [] and len(rows) == 10
    assert rows[-1]["id"] == buttons(*titles)[9]["payload"]


def test_very_long_title_description_is_clipped_to_72():
    title = "Penarikan kripto tertunda lebih dari satu hari karena jaringan padat dan memo tag yang tertinggal"
    [message] = choice_messages(WA_ID, "Pilih:", choices_from_buttons(buttons(title, "b", "c", "d")), Issued())
    row = message["interactive"]["action"]["sections"][0]["rows"][0]
    assert len(row["description"]) <= 72 and row["description"].endswith("…") and message_problems(message) == []


def test_titles_that_clip_to_the_same_text_stay_unique():
    titles = unique_titles(["Biaya penarikan kripto BTC", "Biaya penarikan kripto ETH", "Lain"], 20)
    assert len(set(titles)) == 3 and all(len(t) <= 20 for t in titles)


def test_long_payload_gets_a_token_id():
    issued = Issued()
    payload = "/choose_article" + json.dumps({"article_id": "x" * 250})
    [message] = choice_messages(WA_ID, "Pilih:", [Choice("Panjang", payload)], issued)
    button_id = message["interactive"]["action"]["buttons"][0]["reply"]["id"]
    assert button_id.startswith(TOKEN_PREFIX) and issued.payloads[button_id] == payload


def test_long_text_with_buttons_sends_text_first_then_a_short_body():
    long = "\n".join(f"{i}. Buka menu Dompet, pilih aset, lalu salin alamat deposit dengan benar." for i in range(80))
    messages = choice_messages(WA_ID, long, choices_from_buttons(buttons("Ya", "Tidak")), Issued())
    assert all(message_problems(m) == [] for m in messages)
    assert [m["type"] for m in messages][-1] == "interactive" and messages[0]["type"] == "text"
    assert len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    sent = " ".join(m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"] for m in messages)
    assert sent.split() == long.split()


def test_buttons_without_text_get_a_default_body_and_bad_buttons_are_dropped():
    choices = choices_from_buttons([{"title": "Tanpa payload"}, {"title": "A", "payload": "/affirm"},
                                    {"title": "A lagi", "payload": "/affirm"}, "bukan tombol"])
    [message] = choice_messages(WA_ID, None, choices, Issued())
    assert message["interactive"]["body"]["text"] == "Silakan pilih salah satu:"
    assert len(message["interactive"]["action"]["buttons"]) == 1 and message_problems(message) == []


# --- issued choices ---------------------------------------------------------------------------------------

def test_choice_store_honours_only_ids_issued_to_that_customer(tmp_path):
    store = ChoiceStore(tmp_path / "state.db")
    assert store.issue(WA_ID, "/affirm") == "/affirm"
    long = "/choose_article" + json.dumps({"article_id": "y" * 250})
    token = store.issue(WA_ID, long)
    assert token.startswith(TOKEN_PREFIX) and len(token) <= 200
    assert store.resolve(WA_ID, "/affirm") == "/affirm" and store.resolve(WA_ID, token) == long
    assert store.resolve("6289999999999", "/affirm") is None      # offered to someone else
    assert store.resolve(WA_ID, "/deny") is None                  # never offered
    store.close()
    assert ChoiceStore(tmp_path / "state.db").resolve(WA_ID, token) == long   # after a restart


def test_unknown_choice_is_read_as_its_title(tmp_path):
    store = ChoiceStore(tmp_path / "state.db")
    store.issue(WA_ID, "/affirm")
    [known] = parse_webhook(webhook(reply("button_reply", "/affirm", "Ya, membantu")))
    [forged] = parse_webhook(webhook(reply("list_reply", "/choose_article{\"article_id\":\"x\"}", "Biaya")))
    assert WhatsAppInput.choice_text(known, store) == "/affirm"
    assert WhatsAppInput.choice_text(forged, store) == "Biaya"


# --- sending through the fake Graph API ------------------------------------------------------------------

@pytest.fixture(scope="module")
def graph_api() -> Iterator[FakeGraph]:
    api = FakeGraph()
    yield api
    api.close()


@pytest.fixture()
def fake(graph_api: FakeGraph) -> FakeGraph:
    graph_api.reset()
    return graph_api


class Sleeps:
    """Records backoff delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: List[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client(fake: FakeGraph, sleeps: Sleeps, **kwargs: Any) -> GraphClient:
    return GraphClient(fake.access_token, fake.phone_number_id, fake.api_base_url, sleep=sleeps, **kwargs)


async def test_message_is_posted_with_the_bearer_token(fake):
    sleeps = Sleeps()
    graph = client(fake, sleeps)
    assert await graph.send(text_messages(WA_ID, "Halo **Budi**")[0])
    await graph.aclose()
    assert fake.calls[0].authorization == f"Bearer {fake.access_token}"
    assert fake.messages_to(WA_ID)[0]["text"]["body"] == "Halo *Budi*" and sleeps.delays == []


async def test_server_errors_are_retried_with_exponential_backoff(fake):
    fake.fail_next(500, times=2)
    sleeps = Sleeps()
    graph = client(fake, sleeps, base_delay=0.5)
    assert await graph.send(text_messages(WA_ID, "coba lagi")[0])
    await graph.aclose()
    assert [c.status for c in fake.calls] == [500, 500, 200] and sleeps.delays == [0.5, 1.0]
    assert len(fake.messages_to(WA_ID)) == 1


async def test_429_honours_retry_after(fake):
    fake.fail_next(429, times=1, retry_after="3")
    sleeps = Sleeps()
    graph = client(fake, sleeps, base_delay=0.5)
    assert await graph.send(text_messages(WA_ID, "pelan-pelan")[0])
    await graph.aclose()
    assert sleeps.delays == [3.0] and [c.status for c in fake.calls] == [429, 200]


async def test_retry_after_longer_than_the_limit_gives_up(fake):
    fake.fail_next(429, times=1, retry_after="3600")
    sleeps = Sleeps()
    graph = client(fake, sleeps, max_delay=60)
    assert not await graph.send(text_messages(WA_ID, "x")[0])
    await graph.aclose()
    assert len(fake.calls) == 1 and sleeps.delays == []


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_client_errors_are_not_retried(fake, status, caplog):
    fake.fail_next(status, times=1)
    sleeps = Sleeps()
    graph = client(fake, sleeps)
    assert not await graph.send(text_messages(WA_ID, "x")[0])
    await graph.aclose()
    assert len(fake.calls) == 1 and sleeps.delays == []
    assert any("not retried" in r.getMessage() for r in caplog.records)


async def test_invalid_message_and_wrong_token_are_not_retried(fake):
    sleeps = Sleeps()
    graph = client(fake, sleeps)
    assert not await graph.send({"messaging_product": "whatsapp", "to": WA_ID, "type": "text", "text": {"body": ""}})
    wrong = GraphClient("bad-token", fake.phone_number_id, fake.api_base_url, sleep=sleeps)
    assert not await wrong.send(text_messages(WA_ID, "x")[0])
    await graph.aclose()
    await wrong.aclose()
    assert [c.status for c in fake.calls] == [400, 401] and sleeps.delays == []


async def test_persistent_failure_gives_up_after_max_attempts(fake):
    fake.fail_next(503, times=10)
    sleeps = Sleeps()
    graph = client(fake, sleeps, max_attempts=4, base_delay=1.0, max_delay=3.0)
    assert not await graph.send(text_messages(WA_ID, "x")[0])
    await graph.aclose()
    assert len(fake.calls) == 4 and sleeps.delays == [1.0, 2.0, 3.0]


async def test_connection_errors_are_retried():
    sleeps = Sleeps()
    graph = GraphClient("t", "1", "http://127.0.0.1:9/v21.0", sleep=sleeps, max_attempts=3, base_delay=0.25)
    assert not await graph.send(text_messages(WA_ID, "x")[0])
    await graph.aclose()
    assert sleeps.delays == [0.25, 0.5]


async def test_output_channel_sends_rasa_responses_within_the_limits(fake, tmp_path):
    graph = client(fake, Sleeps())
    output = WhatsAppOutput(graph, ChoiceStore(tmp_path / "state.db"))
    await output.send_response(f"wa-{WA_ID}", {"text": "**Cara aktivasi 2FA**\n1. Buka menu Keamanan."})
    await output.send_response(f"wa-{WA_ID}", {"text": "Apakah jawaban ini membantu?", "buttons": [
        {"title": "Ya, membantu", "payload": "/affirm"}, {"title": "Belum membantu", "payload": "/deny"}]})
    await output.send_response(f"wa-{WA_ID}", {"text": "Maksud Anda yang mana?", "buttons": buttons(
        "Biaya penarikan kripto", "Biaya trading", "Biaya deposit", "Hubungi agen")})
    await output.send_response(f"wa-{WA_ID}", {"custom": {"web": "only"}})
    await graph.aclose()
    sent = fake.messages_to(WA_ID)
    assert [m["type"] for m in sent] == ["text", "interactive", "interactive"]
    assert sent[0]["text"]["body"].startswith("*Cara aktivasi 2FA*")
    assert [m["interactive"]["type"] for m in sent[1:]] == ["button", "list"]
    assert output.attempted == output.delivered == 3


# --- handling a message end to end (Rasa stood in for by a small handler) -----------------------------------

async def test_messages_reach_rasa_redacted_with_metadata_and_replies_reach_whatsapp(fake, state_db):
    input_channel = channel(fake.api_base_url)
    received = []

    async def rasa(message) -> None:   # what Rasa's agent does: read the message, answer on its output channel
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {
            "text": "Apakah jawaban ini membantu?", "buttons": [{"title": "Ya, membantu", "payload": "/affirm"},
                                                                {"title": "Belum membantu", "payload": "/deny"}]})

    raw = webhook(text(f"seed phrase saya {SEED} tolong cek", "wamid.H1"), media("sticker", "wamid.H2"))
    await input_channel.process(input_channel.accept(raw, signed(raw)), rasa)
    [message] = received
    assert message.sender_id == f"wa-{WA_ID}" and message.input_channel == "whatsapp"
    assert "sausage" not in message.text and message.metadata["redacted_secrets"]
    assert message.metadata["customer_name"] == "Budi Santoso"
    raw = webhook(reply("button_reply", "/affirm", "Ya, membantu", "wamid.H3"))
    await input_channel.process(input_channel.accept(raw, signed(raw)), rasa)
    assert received[-1].text == "/affirm"
    sent = fake.messages_to(WA_ID)
    assert [m["type"] for m in sent] == ["interactive", "text", "interactive"]
    assert sent[1]["text"]["body"] == NON_TEXT_REPLY
    await input_channel._open()[2].aclose()


async def test_a_failing_handler_still_gets_the_customer_an_apology(fake, state_db):
    input_channel = channel(fake.api_base_url)

    async def broken(_message) -> None:
        raise RuntimeError("tracker store down")

    raw = webhook(text("halo", "wamid.F1"))
    await input_channel.process(input_channel.accept(raw, signed(raw)), broken)
    assert [m["text"]["body"] for m in fake.messages_to(WA_ID)] == [APOLOGY]
    await input_channel._open()[2].aclose()
