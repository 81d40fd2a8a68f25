"""bot.tickets.config: notifiers.yml with ${VAR} substitution; incomplete notifiers are disabled, not fatal."""
from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

import pytest

from bot.tickets import TelegramNotifier, WebhookNotifier, declared_notifier_names, load_notifiers
from bot.tickets.config import DEFAULT_CONFIG_PATH, expand_env

REPO_ENV = ("TICKETS_TELEGRAM_TOKEN", "TICKETS_TELEGRAM_CHAT_ID", "TICKETS_TELEGRAM_API_URL",
            "TICKETS_WEBHOOK_URL", "TICKETS_WEBHOOK_SECRET", "NOTIFIERS_CONFIG")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in REPO_ENV:
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notifiers.yml"
    path.write_text(text, encoding="utf-8")
    return path


def disabled_lines(caplog) -> list:
    return [record.getMessage() for record in caplog.records if "disabled" in record.getMessage()]


@pytest.mark.parametrize(("template", "expected"), [
    ("${TOKEN}", "abc"), ("${MISSING}", ""), ("${MISSING:-cadangan}", "cadangan"), ("${EMPTY:-cadangan}", "cadangan"),
    ("${TOKEN:-cadangan}", "abc"), ("pre-${TOKEN}-${MISSING:-x}", "pre-abc-x"), ("$TOKEN {TOKEN}", "$TOKEN {TOKEN}"),
    ("${URL:-http://127.0.0.1:8080/bot}", "http://127.0.0.1:8080/bot"),
])
def test_env_references_are_expanded(template, expected):
    assert expand_env(template, {"TOKEN": "abc", "EMPTY": ""}) == expected


def test_expansion_reaches_nested_values_and_leaves_other_types():
    expanded = expand_env({"a": ["${X}", 3, None], "b": {"c": "${X}"}}, {"X": "y"})
    assert expanded == {"a": ["y", 3, None], "b": {"c": "y"}}


def test_repository_config_declares_the_webhook_and_disables_it_without_env(caplog):
    assert DEFAULT_CONFIG_PATH.is_file()
    with caplog.at_level(logging.WARNING, logger="bot.tickets.config"):
        assert load_notifiers() == {}
    lines = disabled_lines(caplog)
    assert len(lines) == 1  # exactly one line per notifier
    assert "'helpdesk_webhook'" in lines[0] and "url, secret" in lines[0]
    assert declared_notifier_names() == ["helpdesk_webhook"]  # the Telegram group is a desk (desks.yml)


def test_repository_config_builds_the_webhook_from_env(monkeypatch, caplog):
    monkeypatch.setenv("TICKETS_WEBHOOK_URL", "https://helpdesk.example/hook")
    monkeypatch.setenv("TICKETS_WEBHOOK_SECRET", "rahasia-bersama")
    with caplog.at_level(logging.WARNING, logger="bot.tickets.config"):
        notifiers = load_notifiers()
    assert disabled_lines(caplog) == []
    assert isinstance(notifiers["helpdesk_webhook"], WebhookNotifier)
    body = b'{"id":"CS-20261122-0001"}'
    assert notifiers["helpdesk_webhook"].signature(body) == \
        "sha256=" + hmac.new(b"rahasia-bersama", body, hashlib.sha256).hexdigest()


def test_a_telegram_notifier_can_still_be_configured(tmp_path):
    path = write(tmp_path, """
notifiers:
  announce: {kind: telegram, token: "123:abc", chat_id: "-100200300"}
""")
    notifiers = load_notifiers(path)
    assert isinstance(notifiers["announce"], TelegramNotifier) and notifiers["announce"].name == "announce"


def test_partially_configured_and_unknown_notifiers_are_skipped_once_each(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HOOK_SECRET", "s")
    path = write(tmp_path, """
notifiers:
  ok_hook: {kind: webhook, url: "http://127.0.0.1:9/hook", secret: "${HOOK_SECRET}"}
  no_secret: {kind: webhook, url: "http://127.0.0.1:9/hook", secret: "${NOT_SET}"}
  bad_url: {kind: webhook, url: "ftp://example/hook", secret: "x"}
  pager: {kind: sms, number: "0812"}
  empty_chat: {kind: telegram, token: "1:a", chat_id: "  "}
""")
    with caplog.at_level(logging.WARNING, logger="bot.tickets.config"):
        notifiers = load_notifiers(path)
    assert list(notifiers) == ["ok_hook"]
    lines = disabled_lines(caplog)
    assert len(lines) == 4
    assert any("'pager'" in line and "unknown kind 'sms'" in line for line in lines)
    assert any("'bad_url'" in line and "http://" in line for line in lines)
    assert any("'empty_chat'" in line and "chat_id" in line for line in lines)
    assert declared_notifier_names(path) == ["ok_hook", "no_secret", "bad_url", "pager", "empty_chat"]


def test_notifiers_config_env_selects_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, "notifiers:\n  hook: {kind: webhook, url: 'https://x.example/h', secret: k}\n")
    monkeypatch.setenv("NOTIFIERS_CONFIG", str(path))
    assert list(load_notifiers()) == ["hook"]


@pytest.mark.parametrize("content", [None, "notifiers: [1, 2", "just a string", "other: {}"])
def test_missing_or_broken_config_means_no_notifiers_and_a_log_line(tmp_path, content, caplog):
    path = tmp_path / "notifiers.yml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.tickets.config"):
        assert load_notifiers(path) == {}
    assert len(caplog.records) == 1 and str(path) in caplog.records[0].getMessage()
