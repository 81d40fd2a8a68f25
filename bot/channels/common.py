"""What every channel shares: request limits, secret redaction and personal data masking at entry, replay
protection that survives a restart, message splitting, settings from the environment, and a clean "disabled"
state.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Dict, Hashable, List, Optional, Set, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.state import open_channel_state
from nlu.personal_data import KINDS as PERSONAL_KINDS
from nlu.scrub import protect, scrub

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MAX_BODY_BYTES = 1_000_000


class RequestError(ValueError):
    """A request the channel refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_body_size(raw: bytes) -> None:
    """Refuse bodies over ``MAX_BODY_BYTES`` with 413."""
    if len(raw) > MAX_BODY_BYTES:
        raise RequestError(413, f"body larger than {MAX_BODY_BYTES} bytes")


def redact_at_entry(text: str, metadata: Optional[Dict[str, Any]] = None) -> Tuple[str, Dict[str, Any]]:
    """Remove secrets and mask personal data in the text and the metadata before the message reaches Rasa (and
    so the tracker store, the event broker and logs); the kinds found go into the metadata (never the values):
    ``redacted_secrets`` so the assistant can warn the customer, ``masked_personal_data`` (``nik``, ``card``,
    ``bank_account``, ``phone``, ``email``) so it can tell them once what was not kept."""
    cleaned, secrets, personal = protect(text)
    metadata, found = scrub(dict(metadata or {}))   # a client's own metadata is stored with the message too
    kinds = [*secrets, *personal, *(finding.kind for finding in found)]
    removed = list(dict.fromkeys(kind for kind in kinds if kind not in PERSONAL_KINDS))
    masked = list(dict.fromkeys(kind for kind in kinds if kind in PERSONAL_KINDS))
    if removed:
        metadata["redacted_secrets"] = removed
    if masked:
        metadata["masked_personal_data"] = masked
    return cleaned, metadata


def setting(name: str, credentials: Optional[Dict[str, Any]] = None, key: Optional[str] = None) -> str:
    """A channel setting: ``credentials[key]`` when given there, else the environment variable ``name``."""
    value = (credentials or {}).get(key or "") if key else None
    if value is None or str(value).strip() == "":
        value = os.environ.get(name, "")
    return str(value).strip()


_logged_disabled: Set[str] = set()


def log_disabled(channel: str, missing: List[str]) -> None:
    """One clear log line per channel whose credentials are missing."""
    if channel not in _logged_disabled:
        _logged_disabled.add(channel)
        logger.warning("%s channel disabled: set %s to enable it", channel, ", ".join(missing))


def disabled_blueprint(channel: str, missing: List[str]) -> Blueprint:
    """Routes of a disabled channel: a health check saying why (also registered as the channel's part of
    ``GET /health``), and 503 for webhooks."""
    from bot.health import DISABLED
    from bot.health import health as health_registry

    log_disabled(channel, missing)
    blueprint = Blueprint(f"disabled_{channel}", __name__)
    status = {"status": DISABLED, "missing": list(missing)}
    health_registry.register(channel.lower(), lambda: dict(status))

    @blueprint.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json(status)

    @blueprint.route("/webhook", methods=["GET", "POST"])
    async def webhook(_: Request) -> HTTPResponse:
        return response.json({"error": f"{channel} channel is not configured"}, status=503)

    return blueprint


def split_text(text: str, limit: int) -> List[str]:
    """Split ``text`` into parts of at most ``limit`` characters, at paragraph, line, sentence or word
    boundaries when possible; nothing is dropped."""
    text = text.strip()
    parts: List[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
            cut = cut + 1 if cut >= limit // 2 else window.rfind(" ")
        if cut < limit // 4:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


class SeenStore:
    """Remembers handled update/message ids per channel, across restarts (and across workers and replicas in
    the production profile, see :mod:`bot.channels.state`), so a replayed webhook or a re-delivered update
    never produces a second reply."""

    def __init__(self, path: Optional[Path] = None, keep_seconds: float = 7 * 24 * 3600) -> None:
        self.keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._inserts = 0
        self._state = open_channel_state(path)

    def first_time(self, channel: str, key: str) -> bool:
        """Record ``key``; True only the first time it is seen for ``channel``."""
        now = time.time()
        first = self._state.remember(channel, key, now)
        with self._lock:
            self._inserts += int(first)
            prune = first and self._inserts % 500 == 0   # prune old keys now and then
        if prune:
            self._state.prune_seen(now - self.keep_seconds)
        return first

    def forget(self, channel: str, key: str) -> None:
        """Drop a key (when handling failed before anything was answered, so a retry is processed)."""
        self._state.forget(channel, key)


class IssuedButtons:
    """Which button ids the assistant showed to which chat, and the payload behind each.

    A tap comes back as the button id only; it is honoured only when that id was issued to that chat
    (so forged ids are dropped), also after a restart.
    """

    def __init__(self, channel: str, path: Optional[Path] = None, keep_seconds: float = 30 * 24 * 3600) -> None:
        self.channel = channel
        self.keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._writes = 0
        self._state = open_channel_state(path)

    def issue(self, chat: str, button_id: str, payload: str) -> str:
        """Record that ``button_id`` (standing for ``payload``) was shown in ``chat``; return the id."""
        now = time.time()
        self._state.put_button(self.channel, str(chat), button_id, payload, now)
        with self._lock:
            self._writes += 1
            prune = self._writes % 500 == 0   # prune old buttons now and then
        if prune:
            self._state.prune_buttons(now - self.keep_seconds)
        return button_id

    def resolve(self, chat: str, button_id: str) -> Optional[str]:
        """The payload behind ``button_id`` when it was issued to ``chat`` (and has not expired), else None."""
        return self._state.button(self.channel, str(chat), button_id, time.time() - self.keep_seconds)

    def close(self) -> None:
        """Close the database connection."""
        self._state.close()


def short_token(prefix: str, payload: str, length: int = 32) -> str:
    """A stable short id standing for a long payload."""
    return prefix + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


class ChatQueue:
    """Messages of one chat are handled one after another, in the order they arrived."""

    def __init__(self) -> None:
        self._locks: Dict[Hashable, asyncio.Lock] = {}
        self._waiting: Dict[Hashable, int] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                del self._waiting[chat], self._locks[chat]


class BackgroundTasks:
    """Keeps references to fire-and-forget tasks (webhooks acknowledge first, then process)."""

    def __init__(self) -> None:
        self._tasks: Set[asyncio.Task] = set()

    def spawn(self, coroutine: Awaitable[Any], name: str) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, name))
        return task

    def _finished(self, task: asyncio.Task, name: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s failed", name, exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for running tasks (used by tests and at shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
