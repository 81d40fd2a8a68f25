"""desks.yml: which agent desks run, from the environment; broken entries are disabled, never fatal."""
from __future__ import annotations

import logging

from bot.desks.chatwoot import ChatwootDesk
from bot.desks.config import DEFAULT_DESKS_PATH, declared_desk_names, load_desks
from bot.desks.telegram_group import TelegramGroupDesk
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.tickets import open_store


def service(tmp_path) -> HandoffService:
    store = open_store(f"sqlite:///{tmp_path / 'tickets.db'}")
    return HandoffService(HandoffStore(store.database), store)


def test_repository_desks_are_declared_and_disabled_without_env(tmp_path, monkeypatch, caplog):
    for name in ("TICKETS_TELEGRAM_TOKEN", "TICKETS_TELEGRAM_CHAT_ID", "CHATWOOT_URL", "CHATWOOT_API_TOKEN",
                 "DESKS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert DEFAULT_DESKS_PATH.is_file()
    assert declared_desk_names() == ["telegram_agen", "chatwoot"]
    with caplog.at_level(logging.WARNING, logger="bot.desks.config"):
        assert load_desks(service(tmp_path)) == {}
    lines = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
    assert len(lines) == 2 and "token, chat_id" in lines[0] and "base_url" in lines[1]


def test_repository_desks_are_built_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TICKETS_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("TICKETS_TELEGRAM_CHAT_ID", "-100200300")
    monkeypatch.setenv("TICKETS_TELEGRAM_AGENTS", "501, 502")
    monkeypatch.setenv("CHATWOOT_URL", "https://chatwoot.example")
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "1")
    monkeypatch.setenv("CHATWOOT_INBOX_ID", "7")
    monkeypatch.setenv("CHATWOOT_API_TOKEN", "tok")
    monkeypatch.delenv("DESKS_CONFIG", raising=False)
    desks = load_desks(service(tmp_path))
    assert isinstance(desks["telegram_agen"], TelegramGroupDesk) and isinstance(desks["chatwoot"], ChatwootDesk)
    assert desks["chatwoot"].account_id == 1 and desks["chatwoot"].inbox_id == 7


def test_unknown_kinds_and_bad_values_disable_only_that_desk(tmp_path, caplog):
    path = tmp_path / "desks.yml"
    path.write_text("desks:\n"
                    "  zendesk: {kind: zendesk}\n"
                    "  cw: {kind: chatwoot, base_url: 'http://127.0.0.1:9', account_id: satu, inbox_id: '7',"
                    " api_token: x}\n"
                    "  grup: {kind: telegram_group, token: '1:a', chat_id: '-1'}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.desks.config"):
        desks = load_desks(service(tmp_path), path)
    assert list(desks) == ["grup"]
    assert declared_desk_names(path) == ["zendesk", "cw", "grup"]
    assert sum("disabled" in r.getMessage() for r in caplog.records) == 2


def test_a_missing_file_means_no_desks(tmp_path):
    assert declared_desk_names(tmp_path / "nope.yml") == [] and load_desks(service(tmp_path), tmp_path / "x") == {}
