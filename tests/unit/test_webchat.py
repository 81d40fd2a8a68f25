"""Web chat: allowed origins, socket.io payload validation, and which static files may be served."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sanic_cors.core import try_match

from bot.channels import MAX_BODY_BYTES, RequestError
from bot.channels.socketio import (
    DEFAULT_WEBCHAT_ORIGINS,
    MAX_SESSION_ID_CHARS,
    SocketMessage,
    cors_pattern,
    normalize_origin,
    origin_allowed,
    parse_origins,
    parse_session_request,
    parse_user_message,
    server_origins,
    webchat_origins,
)
from bot.channels.webchat import CONTENT_TYPES, WEB_ROOT, asset_headers, safe_asset_path

# --- origins -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("http://127.0.0.1:5005", "http://127.0.0.1:5005"),
    ("HTTPS://Toko.Example", "https://toko.example"),
    ("https://toko.example:443/", "https://toko.example"),
    ("http://toko.example:80", "http://toko.example"),
    ("http://toko.example:8080", "http://toko.example:8080"),
    (" http://[::1]:5005 ", "http://[::1]:5005"),
    ("http://toko.example/halaman", None),
    ("http://toko.example/?a=1", None),
    ("http://user@toko.example", None),
    ("ftp://toko.example", None),
    ("javascript:alert(1)", None),
    ("toko.example", None),
    ("null", None),
    ("http://toko.example:99999", None),
    ("", None),
])
def test_normalize_origin(value, expected):
    assert normalize_origin(value) == expected


def test_parse_origins_normalises_skips_bad_entries_and_duplicates(caplog):
    parsed = parse_origins(" https://Toko.example , http://localhost:5005,bukan-origin,, https://toko.example:443/")
    assert parsed == ("https://toko.example", "http://localhost:5005")
    assert "bukan-origin" in caplog.text
    assert parse_origins("*") == ("*",)
    assert parse_origins("") == ()


def test_default_origins_are_the_local_demo_page():
    assert webchat_origins({}) == DEFAULT_WEBCHAT_ORIGINS == ("http://127.0.0.1:5005", "http://localhost:5005")


def test_rasa_host_and_port_add_their_origin():
    assert webchat_origins({"RASA_PORT": "6006"}) == DEFAULT_WEBCHAT_ORIGINS + (
        "http://127.0.0.1:6006", "http://localhost:6006")
    assert webchat_origins({"RASA_HOST": "bot.example", "RASA_PORT": "80"})[-1] == "http://bot.example"
    assert webchat_origins({"RASA_HOST": "0.0.0.0"}) == DEFAULT_WEBCHAT_ORIGINS
    assert server_origins("::1", "5005") == ("http://127.0.0.1:5005", "http://localhost:5005")
    assert server_origins("fd00::7", "5005") == ("http://[fd00::7]:5005",)
    assert server_origins("bot.example", "bukan-port") == ()


def test_webchat_origins_setting_replaces_the_defaults():
    env = {"WEBCHAT_ORIGINS": "https://toko.example, https://www.toko.example", "RASA_PORT": "6006"}
    assert webchat_origins(env) == ("https://toko.example", "https://www.toko.example")
    assert webchat_origins({"WEBCHAT_ORIGINS": "   "}) == DEFAULT_WEBCHAT_ORIGINS


def test_cors_pattern_matches_exactly_the_origins_the_way_sanic_cors_does():
    pattern = cors_pattern(("http://127.0.0.1:5005", "https://toko.example"))
    for origin in ("http://127.0.0.1:5005", "https://toko.example"):
        assert try_match(origin, pattern)
    for origin in ("http://127.0.0.1:50055", "http://127.0.0.105:5005", "https://toko.example.evil.test",
                   "https://evil.test/https://toko.example", "http://127x0x0x1:5005", "https://toko.example:8443"):
        assert not try_match(origin, pattern), origin
    assert cors_pattern(("*", "https://toko.example")) == "*"
    assert not try_match("https://toko.example", cors_pattern(()))


def test_the_server_runner_passes_the_same_origins_to_rasa(monkeypatch):
    from bot.servers import ServerConfig

    monkeypatch.setenv("WEBCHAT_ORIGINS", "https://toko.example")
    assert ServerConfig().cors == cors_pattern(("https://toko.example",))
    monkeypatch.delenv("WEBCHAT_ORIGINS")
    monkeypatch.delenv("RASA_HOST", raising=False)
    monkeypatch.delenv("RASA_PORT", raising=False)
    assert ServerConfig().cors != "*"
    assert try_match("http://localhost:5005", ServerConfig().cors)


def test_origin_allowed():
    allowed = ("https://toko.example", "http://localhost:5005")
    assert origin_allowed(None, allowed) and origin_allowed("", allowed)   # not a browser / same-origin GET
    assert origin_allowed("https://toko.example", allowed)
    assert origin_allowed("HTTPS://TOKO.EXAMPLE:443", allowed)
    assert not origin_allowed("https://evil.example", allowed)
    assert not origin_allowed("null", allowed)
    assert not origin_allowed("http://toko.example", allowed)            # another scheme is another origin
    assert origin_allowed("https://evil.example", ("*",))


def test_the_servers_own_origin_is_allowed():
    assert origin_allowed("http://127.0.0.1:6006", (), host="127.0.0.1:6006")
    assert origin_allowed("https://bot.example", (), host="bot.example")
    assert not origin_allowed("https://evil.example", (), host="bot.example")
    assert not origin_allowed("http://127.0.0.1:6007", (), host="127.0.0.1:6006")


# --- socket.io payloads --------------------------------------------------------------------------------

def test_valid_message():
    message = parse_user_message({"message": "wd gw nyangkut 😭", "session_id": "abc123", "message_id": "m1",
                                  "metadata": {"lang": "id"}})
    assert message == SocketMessage(text="wd gw nyangkut 😭", session_id="abc123", metadata={"lang": "id"},
                                    message_id="m1")


def test_optional_fields():
    assert parse_user_message({"message": ""}) == SocketMessage(text="")
    assert parse_user_message({}) == SocketMessage(text="")
    assert parse_user_message({"message": "x", "metadata": '{"a": 1}'}).metadata == {"a": 1}
    assert parse_user_message({"message": "x", "metadata": None, "session_id": None}).metadata == {}
    assert parse_user_message({"message": "x", "customData": {"a": 1}}, metadata_key="customData").metadata == {"a": 1}


@pytest.mark.parametrize("data", [
    None, "halo", ["halo"], 42,
    {"message": 42}, {"message": None}, {"message": ["a"]}, {"message": {"text": "a"}},
    {"message": "x", "metadata": "{bukan json"}, {"message": "x", "metadata": "[1]"}, {"message": "x", "metadata": [1]},
    {"message": "x", "session_id": 7}, {"message": "x", "session_id": "s" * (MAX_SESSION_ID_CHARS + 1)},
    {"message": "x", "session_id": "a\nb"}, {"message": "x", "session_id": "   "},
    {"message": "x", "message_id": {"id": 1}},
    {"message": "x", "blob": b"\x00\x01"},
])
def test_malformed_messages_are_refused(data):
    with pytest.raises(RequestError) as error:
        parse_user_message(data)
    assert error.value.status == 400


def test_message_over_one_megabyte_is_refused():
    with pytest.raises(RequestError) as error:
        parse_user_message({"message": "a" * MAX_BODY_BYTES})
    assert error.value.status == 413
    with pytest.raises(RequestError):
        parse_user_message({"message": "a", "metadata": {"pad": "é" * (MAX_BODY_BYTES // 2)}})
    text = "a" * (MAX_BODY_BYTES - len(json.dumps({"message": ""})))
    assert parse_user_message({"message": text}).text == text               # exactly the limit is fine


def test_session_request():
    assert parse_session_request(None) is None
    assert parse_session_request({}) is None
    assert parse_session_request({"session_id": None}) is None
    assert parse_session_request({"session_id": "7f3a"}) == "7f3a"
    for bad in ("teks", [1], {"session_id": 5}, {"session_id": "x" * 500}):
        with pytest.raises(RequestError):
            parse_session_request(bad)


# --- static files --------------------------------------------------------------------------------------

@pytest.fixture()
def web(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (root / "widget.js").write_text("//", encoding="utf-8")
    (root / "vendor" / "lib.js").write_text("//", encoding="utf-8")
    (root / ".env.js").write_text("rahasia", encoding="utf-8")
    (root / "notes.md").write_text("#", encoding="utf-8")
    (tmp_path / "secret.js").write_text("rahasia", encoding="utf-8")
    (tmp_path / "credentials.yml").write_text("token: x", encoding="utf-8")
    os.symlink(tmp_path / "secret.js", root / "link.js")
    os.symlink(root / "widget.js", root / "alias.js")
    return root


def test_files_inside_the_folder_are_served(web):
    assert safe_asset_path(web, "") == (web / "index.html").resolve()
    assert safe_asset_path(web, "widget.js") == (web / "widget.js").resolve()
    assert safe_asset_path(web, "vendor/lib.js") == (web / "vendor" / "lib.js").resolve()
    assert safe_asset_path(web, "alias.js") == (web / "widget.js").resolve()   # a symlink that stays inside


@pytest.mark.parametrize("name", [
    "../secret.js", "../credentials.yml", "vendor/../../secret.js", "./widget.js", "vendor//lib.js",
    "/etc/passwd", "..\\secret.js", "vendor\\lib.js", "widget.js\x00.html", "%2e%2e/secret.js",
    ".env.js", "vendor/.hidden.js", "notes.md", "vendor", "vendor/", "missing.js", "link.js", "WIDGET.JS",
    "a" * 300 + ".js",
])
def test_nothing_else_is_served(web, name):
    assert safe_asset_path(web, name) is None


def test_headers_have_exact_types_and_a_csp_on_pages():
    html = asset_headers(Path("index.html"), b"<!doctype html>")
    assert html["Content-Type"] == "text/html; charset=utf-8"
    policy = html["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    js = asset_headers(Path("widget.js"), b"//")
    assert js["Content-Type"] == "text/javascript; charset=utf-8"
    assert js["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in js
    assert js["ETag"] != asset_headers(Path("widget.js"), b"// changed")["ETag"]
    assert set(CONTENT_TYPES) >= {".html", ".js", ".css"}


def test_the_real_web_folder():
    for name in ("", "widget.js", "widget.css", "demo.css", "vendor/socket.io.min.js",
                 "vendor/socket.io-client.LICENSE.txt"):
        assert safe_asset_path(WEB_ROOT, name) is not None, name
    vendor = (WEB_ROOT / "vendor" / "socket.io.min.js").read_text(encoding="utf-8")
    assert vendor.startswith("/*!\n * Socket.IO v4.") and "Released under the MIT License" in vendor[:200]
    assert "/webhooks/webchat/widget.js" in (WEB_ROOT / "index.html").read_text(encoding="utf-8")


def test_the_widget_never_parses_message_text_as_html():
    source = (WEB_ROOT / "widget.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"href\"", "javascript:"):
        assert sink not in code, sink
    assert 'rel = "noopener noreferrer"' in code and "textContent" in code


async def test_engineio_asks_clients_to_retry_until_the_server_has_started():
    from types import SimpleNamespace

    from bot.channels.socketio import OriginCheckingEngineIO
    engine = OriginCheckingEngineIO(async_mode="sanic", allowed_origins=["http://127.0.0.1:5005"])
    request = SimpleNamespace(headers={"origin": "http://evil.example", "host": "127.0.0.1:5005"})
    assert (await engine.handle_request(request)).status == 503       # still starting: retry later
    engine.ready = True
    assert (await engine.handle_request(request)).status == 403       # started: the origin check applies
