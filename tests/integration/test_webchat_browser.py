"""The web chat widget in a real browser (Debian Chromium driven by Playwright) against the real servers:
demo page, knowledge answer, quick replies, history after a reload, escaping, keyboard, phone screen,
reconnection, and origins that may or may not embed it. Without Playwright or ``/usr/bin/chromium`` these tests
fail; they are never skipped."""
from __future__ import annotations

import http.client
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest

from bot.servers import ROOT
from tests.integration.conftest import WEBCHAT_EMBED_ORIGIN

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "var" / "artifacts"
SHADOW = "document.querySelector('#kripto-cs-webchat').shadowRoot"
ARTICLE_TITLE = "Mengaktifkan 2FA dengan Google Authenticator"
HELPFUL = "Ya, membantu"
INJECTION = "<img src=x onerror=alert(1)>"


def demo_url(servers) -> str:
    return f"{servers.config.rasa_url}/webhooks/webchat/"


def log_text(page) -> str:
    return page.locator(".kcs-log").inner_text()


def bot_count(page) -> int:
    return page.locator(".kcs-msg.kcs-bot").count()


def wait_for_bot(page, more_than: int, timeout: float = 30_000) -> None:
    """Wait until there are more than ``more_than`` bot bubbles."""
    page.wait_for_function(f"n => {SHADOW}.querySelectorAll('.kcs-msg.kcs-bot').length > n", arg=more_than,
                           timeout=timeout)


def wait_connected(page) -> None:
    page.wait_for_function(f"() => {SHADOW}.querySelector('.kcs-status').textContent === 'Terhubung'",
                           timeout=20_000)


def focused_class(page) -> str:
    return page.evaluate(f"() => ({SHADOW}.activeElement || {{}}).className || ''")


def choices(page) -> List[str]:
    return page.locator(".kcs-choice").all_inner_texts()


def record_typing_indicator(page) -> None:
    """Remember whether the typing indicator was ever shown (the reply may come within milliseconds)."""
    page.evaluate(f"""() => {{
        const typing = {SHADOW}.querySelector('.kcs-typing');
        window.__typingSeen = false;
        new MutationObserver(() => {{ if (!typing.hidden) window.__typingSeen = true; }})
            .observe(typing, {{ attributes: true, attributeFilter: ['hidden'] }});
    }}""")


def ask_for_the_2fa_article(page) -> None:
    """Ask by keyboard and end at the 2FA article with its "did this help?" buttons (clicking the article
    button when the assistant asks which article was meant)."""
    before = bot_count(page)
    page.keyboard.type("cara aktivasi 2fa")
    record_typing_indicator(page)
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    page.wait_for_selector(".kcs-choice")
    if ARTICLE_TITLE in choices(page):
        before = bot_count(page)
        page.locator(".kcs-choice", has_text=ARTICLE_TITLE).click()
        wait_for_bot(page, before)
    page.wait_for_function(f"() => [...{SHADOW}.querySelectorAll('.kcs-choice')].some(b => b.textContent === "
                           f"{HELPFUL!r})", timeout=30_000)


def raw_get(servers, path: str) -> "http.client.HTTPResponse":
    """GET ``path`` exactly as written (no client-side normalisation of ``..``)."""
    connection = http.client.HTTPConnection(servers.config.host, servers.config.rasa_port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse()


def test_assets_are_served_with_their_types_and_nothing_else(servers):
    for path, content_type in (("/webhooks/webchat/", "text/html"), ("/webhooks/webchat/widget.js", "text/javascript"),
                               ("/webhooks/webchat/widget.css", "text/css"),
                               ("/webhooks/webchat/vendor/socket.io.min.js", "text/javascript")):
        reply = raw_get(servers, path)
        assert reply.status == 200 and reply.getheader("Content-Type").startswith(content_type), path
        assert reply.getheader("X-Content-Type-Options") == "nosniff"
    for path in ("/webhooks/webchat/../../credentials.yml", "/webhooks/webchat/%2e%2e/%2e%2e/credentials.yml",
                 "/webhooks/webchat/..%2f..%2fcredentials.yml", "/webhooks/webchat/vendor/",
                 "/webhooks/webchat/.gitignore", "/webhooks/webchat/README.md"):
        reply = raw_get(servers, path)
        assert reply.status == 404 and b"token" not in reply.read(), path


def test_demo_page_conversation_quick_replies_history_and_keyboard(servers, page):
    page.goto(demo_url(servers))
    launcher = page.locator(".kcs-launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Tab")                                # the launcher is the page's first stop
    assert "kcs-launcher" in focused_class(page)
    page.keyboard.press("Enter")
    assert launcher.get_attribute("aria-expanded") == "true"
    assert "kcs-input" in focused_class(page)                 # focus moves into the chat
    assert page.locator(".kcs-log").get_attribute("aria-live") == "polite"
    launcher.focus()                                          # focus order: launcher, header, messages, input
    for expected in ("kcs-reset", "kcs-close", "kcs-log", "kcs-input", "kcs-send"):
        page.keyboard.press("Tab")
        assert expected in focused_class(page)
    page.locator(".kcs-input").focus()
    wait_connected(page)

    ask_for_the_2fa_article(page)
    assert page.evaluate("window.__typingSeen"), "no typing indicator while waiting"
    article = page.locator(".kcs-bot strong", has_text=ARTICLE_TITLE)
    assert article.count() >= 1                               # **title** rendered as <strong>
    assert "Profil > Keamanan > Google Authenticator" in log_text(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "webchat.png"
    page.screenshot(path=str(screenshot))
    print(f"\nweb chat screenshot: {screenshot}")

    # a quick reply by keyboard: it is a real <button>, Enter activates it
    before = bot_count(page)
    page.locator(".kcs-choice", has_text=HELPFUL).focus()
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    assert page.locator(".kcs-user .kcs-bubble").last.inner_text().endswith(HELPFUL)   # the title, not /affirm
    assert "/affirm" not in log_text(page)
    assert "kcs-input" in focused_class(page)
    time.sleep(1)                                             # let the rest of the reply arrive
    after_click = log_text(page)

    page.reload()
    page.locator(".kcs-panel").wait_for()                     # still open after the reload
    assert page.locator(".kcs-launcher").get_attribute("aria-expanded") == "true"
    history = log_text(page)
    for expected in ("cara aktivasi 2fa", ARTICLE_TITLE, HELPFUL):
        assert expected in history
    assert history.strip().endswith(after_click.strip()[-80:])
    wait_connected(page)                                      # the same session goes on
    before = bot_count(page)
    page.locator(".kcs-input").fill("terima kasih")
    page.locator(".kcs-send").click()
    wait_for_bot(page, before)

    page.keyboard.press("Escape")                             # Escape closes, focus back on the launcher
    assert page.locator(".kcs-panel").is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert "kcs-launcher" in focused_class(page)


def test_html_is_shown_as_text_and_links_are_safe(servers, page, dialogs):
    page.goto(demo_url(servers))
    page.locator(".kcs-launcher").click()
    wait_connected(page)
    before = bot_count(page)
    page.locator(".kcs-input").fill(INJECTION)
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    assert page.locator(".kcs-user .kcs-bubble").last.inner_text().endswith(INJECTION)
    assert page.evaluate(f"() => {SHADOW}.querySelectorAll('img, script, iframe').length") == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    # a message that pretends to be markup, a javascript: link and a real link
    page.evaluate(f"""() => {{
        const box = {SHADOW}.querySelector('.kcs-input');
        box.value = '**tebal** <b>bukan</b> [klik](javascript:alert(2)) https://contoh.co.id/bantuan.';
    }}""")
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    bubble = page.locator(".kcs-user .kcs-bubble").last
    assert bubble.locator("strong").inner_text() == "tebal"
    assert bubble.locator("b").count() == 0
    links = bubble.locator("a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "https://contoh.co.id/bantuan"
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    assert links.first.get_attribute("target") == "_blank"
    assert "javascript:" not in page.evaluate(f"() => [...{SHADOW}.querySelectorAll('a')].map(a => a.href).join()")
    # Nothing in the widget can open a dialog later (no image, no inline handler), and none was opened so far.
    scriptable = page.evaluate(f"""() => [...{SHADOW}.querySelectorAll('*')]
        .filter(e => e.tagName === 'IMG' || [...e.attributes].some(a => a.name.startsWith('on')))
        .map(e => e.outerHTML)""")
    assert scriptable == [] and dialogs == []


def test_a_pasted_secret_is_not_kept_in_the_browser_and_mulai_baru_starts_over(servers, page, dialogs):
    page.goto(demo_url(servers))
    page.locator(".kcs-launcher").click()
    wait_connected(page)
    before = bot_count(page)
    page.locator(".kcs-input").fill("kode otp 482913, tolong proses wd saya")
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    page.wait_for_function(f"() => {SHADOW}.querySelector('.kcs-user .kcs-bubble').textContent.includes('DIHAPUS')")
    assert "482913" not in log_text(page)
    stored = page.evaluate("() => Object.values(localStorage).join()")
    assert "DIHAPUS" in stored and "482913" not in stored
    assert log_text(page).count("PENTING") >= 1

    session_id = page.evaluate("() => JSON.parse(Object.values(localStorage)[0]).sessionId")
    page.locator(".kcs-reset").click()                       # confirm() is accepted
    assert dialogs and "Mulai percakapan baru" in dialogs[0]
    assert page.locator(".kcs-msg").count() == 1             # only the welcome message
    assert page.evaluate("() => JSON.parse(Object.values(localStorage)[0]).sessionId") != session_id
    wait_connected(page)
    before = bot_count(page)
    page.locator(".kcs-input").fill("gimana cara aktifin google authenticator")
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    assert "Google Authenticator" in log_text(page)


def test_phone_screen_uses_the_whole_viewport(servers, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(demo_url(servers))
        phone.locator(".kcs-launcher").tap()
        panel = phone.locator(".kcs-panel")
        panel.wait_for()
        box = panel.bounding_box()
        assert box and box["x"] == 0 and box["y"] == 0 and box["width"] == 390 and box["height"] >= 800
        assert phone.locator(".kcs-launcher").is_hidden()    # the close button takes over
        wait_connected(phone)
        before = bot_count(phone)
        phone.locator(".kcs-input").fill("gimana cara aktifin google authenticator")
        phone.locator(".kcs-send").tap()
        wait_for_bot(phone, before)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "webchat-phone.png"))
        phone.locator(".kcs-close").tap()
        assert phone.locator(".kcs-launcher").is_visible()
    finally:
        context.close()


def test_reconnects_and_asks_for_the_same_session_again(servers, page):
    sockets = []

    def through(ws) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), through)
    page.goto(demo_url(servers))
    page.locator(".kcs-launcher").click()
    wait_connected(page)
    deadline = time.monotonic() + 15
    while not sockets and time.monotonic() < deadline:       # polling upgrades to WebSocket
        page.wait_for_timeout(200)
    assert sockets, "the client never upgraded to WebSocket"
    session_id = page.evaluate("() => JSON.parse(Object.values(localStorage)[0]).sessionId")

    sockets[-1].close(code=1001, reason="server restart")    # the connection drops as in a restart
    page.wait_for_function(f"() => {SHADOW}.querySelector('.kcs-status').textContent !== 'Terhubung'",
                           timeout=10_000)
    wait_connected(page)
    before = bot_count(page)
    page.locator(".kcs-input").fill("gimana cara aktifin google authenticator")
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    assert "Google Authenticator" in log_text(page)
    assert page.evaluate("() => JSON.parse(Object.values(localStorage)[0]).sessionId") == session_id


class ShopSite:
    """A real site on loopback that embeds the widget with one script tag (``WEBCHAT_EMBED_ORIGIN``'s port;
    a browser reaching it as ``localhost`` is an allowed origin, as ``127.0.0.1`` it is not)."""

    def __init__(self, widget_url: str) -> None:
        page = (f'<!doctype html><html lang="id"><head><title>Toko</title><link rel="icon" href="data:,"></head>'
                f'<body><h1>Toko contoh</h1><script src="{widget_url}" data-open="true"></script></body></html>'
                ).encode("utf-8")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.port = urlsplit(WEBCHAT_EMBED_ORIGIN).port
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def shop(servers) -> Iterator[ShopSite]:
    site = ShopSite(f"{servers.config.rasa_url}/webhooks/webchat/widget.js")
    yield site
    site.close()


def test_an_allowed_site_can_embed_it_and_other_origins_are_refused(servers, browser, shop):
    for origin, allowed in ((WEBCHAT_EMBED_ORIGIN, True), (f"http://127.0.0.1:{shop.port}", False)):
        context = browser.new_context()
        try:
            site = context.new_page()
            failed, websockets = [], []
            # the lists as default values: each context's handlers keep their own lists
            site.on("requestfailed", lambda r, failed=failed: failed.append(r.url) if "/socket.io/" in r.url else None)
            site.on("websocket", lambda ws, websockets=websockets: websockets.append(ws.url))
            site.goto(f"{origin}/")
            site.locator(".kcs-panel").wait_for()            # data-open: open on the first visit
            assert site.evaluate("() => typeof window.io") == "undefined"   # the page's globals stay clean
            if allowed:
                wait_connected(site)
                before = bot_count(site)
                site.locator(".kcs-input").fill("gimana cara aktifin google authenticator")
                site.keyboard.press("Enter")
                wait_for_bot(site, before)
            else:
                site.wait_for_function(f"() => {SHADOW}.querySelector('.kcs-status').textContent"
                                       ".startsWith('Tidak dapat terhubung')", timeout=15_000)
                assert failed and not websockets                 # every handshake failed, no WebSocket
                refused = context.request.get(f"{servers.config.rasa_url}/socket.io/?EIO=4&transport=polling",
                                              headers={"Origin": origin})
                assert refused.status == 403                     # refused by the server, not only by CORS
        finally:
            context.close()
