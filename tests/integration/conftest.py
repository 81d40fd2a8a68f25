"""Start the real action server and Rasa server once for the integration tests (loopback ports)."""
from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests

from bot.channels.socketio import cors_pattern, parse_origins
from bot.evaluate import AssistantClient
from bot.servers import AssistantServers, ServerConfig
from bot.tickets import TicketStore, open_store
from tests.channels.fake_graph import FakeGraph
from tests.tickets.fakes import FakeTelegram, WebhookReceiver

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

RASA_PORT, ACTION_PORT = 15005, 15055
# Origins allowed to use the web chat in tests: the demo page on the Rasa server and a routed "shop" page
# embedding the widget (test_webchat_browser.py).
WEBCHAT_EMBED_ORIGIN = "http://localhost:15080"
WEBCHAT_ORIGINS = f"http://127.0.0.1:{RASA_PORT},{WEBCHAT_EMBED_ORIGIN}"
# Hermetic: Telegram/WhatsApp credentials in the developer's shell must not switch those channels on in a run
# that does not configure them (a module's ``env`` sets the ones it tests).
NO_SHELL_CHANNELS = {"TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": ""}


def server_config(work: Path, rasa_port: int, action_port: int, notifiers: str = "notifiers: {}\n",
                  desks: str = "desks: {}\n", env: Optional[Dict[str, str]] = None, **options: Any) -> ServerConfig:
    """Both servers on the module's own ports with every store in ``work``: SQLite tracker, tickets and
    channel state, the ``notifiers.yml`` and ``desks.yml`` given as text, no channel credentials of the shell;
    ``env`` adds to (or overrides) the servers' environment, ``options`` to the :class:`ServerConfig`."""
    (work / "notifiers.yml").write_text(notifiers, encoding="utf-8")
    (work / "desks.yml").write_text(desks, encoding="utf-8")
    config = ServerConfig(rasa_port=rasa_port, action_port=action_port, tracker_db=work / "tracker.db",
                          log_dir=work, tickets_db_url=f"sqlite:///{work / 'tickets.db'}",
                          notifiers_config=work / "notifiers.yml", desks_config=work / "desks.yml", **options)
    config.extra_env.update({**NO_SHELL_CHANNELS, "CHANNEL_STATE_DB": str(work / "channels.db"), **(env or {})})
    return config


@contextlib.contextmanager
def running_servers(config: ServerConfig, timeout: float = 240) -> Iterator[AssistantServers]:
    """The servers of ``config``, started (waiting up to ``timeout`` seconds) and stopped on leaving."""
    servers = AssistantServers(config).start(timeout=timeout)
    try:
        yield servers
    finally:
        servers.stop()


def client_for(servers: AssistantServers, timeout: float = 30.0) -> AssistantClient:
    """A REST and tracker API client of ``servers``."""
    return AssistantClient(servers.config.rasa_url, servers.config.api_token, timeout=timeout)


@pytest.fixture(scope="session")
def agent_telegram() -> Iterator[FakeTelegram]:
    """A local Telegram Bot API standing in for the agents' group."""
    api = FakeTelegram()
    yield api
    api.close()


@pytest.fixture(scope="session")
def agent_webhook() -> Iterator[WebhookReceiver]:
    """A local helpdesk endpoint that checks the HMAC signature of each notification."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory, agent_telegram: FakeTelegram,
            agent_webhook: WebhookReceiver) -> Iterator[AssistantServers]:
    """Both servers, with their own SQLite tracker and ticket stores in a temporary folder, notifying
    the local fake Telegram group and webhook."""
    notifiers = ("notifiers:\n"
                 f"  telegram_agen:\n    kind: telegram\n    token: '{agent_telegram.token}'\n    chat_id: '-100123'\n"
                 f"    base_url: '{agent_telegram.api_url}'\n"
                 f"  helpdesk_webhook:\n    kind: webhook\n    url: '{agent_webhook.url}'\n"
                 f"    secret: '{agent_webhook.secret}'\n")
    # No desk: the CLI is the desk here (see test_handoff_rest.py).
    config = server_config(tmp_path_factory.mktemp("servers"), RASA_PORT, ACTION_PORT, notifiers=notifiers,
                           env={"WEBCHAT_ORIGINS": WEBCHAT_ORIGINS}, cors=cors_pattern(parse_origins(WEBCHAT_ORIGINS)))
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="session")
def ticket_store(servers: AssistantServers) -> TicketStore:
    """The ticket store the action server writes to."""
    return open_store(servers.config.tickets_db_url)


class AgentInbox:
    """What the agents received: webhook notifications (signature checked) and Telegram messages."""

    def __init__(self, webhook: WebhookReceiver, telegram: FakeTelegram) -> None:
        self.webhook, self.telegram = webhook, telegram

    def webhook_payloads(self, ticket_id: str) -> List[Dict[str, Any]]:
        return [call.payload for call in self.webhook.accepted if call.payload.get("id") == ticket_id]

    def telegram_texts(self, ticket_id: str) -> List[str]:
        return [m["text"] for m in self.telegram.messages if ticket_id in m.get("text", "")]

    def wait_for(self, ticket_id: str, timeout: float = 20.0) -> Dict[str, Any]:
        """The one webhook notification of a ticket, once it and the Telegram message have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.webhook_payloads(ticket_id) and self.telegram_texts(ticket_id):
                break
            time.sleep(0.2)
        payloads = self.webhook_payloads(ticket_id)
        assert len(payloads) == 1 and len(self.telegram_texts(ticket_id)) == 1, (payloads, self.telegram.calls)
        return payloads[0]


@pytest.fixture(scope="session")
def agent_inbox(agent_webhook: WebhookReceiver, agent_telegram: FakeTelegram) -> AgentInbox:
    return AgentInbox(agent_webhook, agent_telegram)


@pytest.fixture(scope="session")
def client(servers: AssistantServers) -> AssistantClient:
    return client_for(servers)


@pytest.fixture()
def sender() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:10]}"


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """``condition()`` once it is truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in {timeout:.0f} s")


def texts(replies: List[dict]) -> List[str]:
    """The text of each reply."""
    return [r.get("text") or "" for r in replies]


def payloads(replies: List[dict]) -> List[str]:
    """Every button payload in the replies."""
    return [b["payload"] for r in replies for b in (r.get("buttons") or [])]


def post_raw(servers: AssistantServers, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{servers.config.rasa_url}/webhooks/rest/webhook", data=body,
                         headers={"Content-Type": content_type}, timeout=30)


def tracker_db(servers: AssistantServers) -> Path:
    return servers.config.tracker_db


# -- fixtures shared by several modules: a fake WhatsApp Graph API, a browser --------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    """A fake WhatsApp Graph API per module."""
    api = FakeGraph()
    yield api
    api.close()


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Headless Debian Chromium (never a downloaded browser); its absence is a failure, not a skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `bash scripts/system_packages.sh` (make test does)")
    try:
        from playwright import sync_api as playwright_api  # only the browser tests need it
    except ImportError as missing:   # a loud failure, never a silent skip
        pytest.fail(f"Playwright is missing ({missing}): install the locked dependencies with `make setup`",
                    pytrace=False)
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def dialogs() -> List[str]:
    """Messages of JavaScript dialogs (alert, confirm) the page opened."""
    return []


@pytest.fixture()
def page(browser, dialogs) -> Iterator["Page"]:
    """A fresh browser profile (empty localStorage) per test; dialogs are recorded and accepted."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    tab = context.new_page()
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    yield tab
    context.close()
