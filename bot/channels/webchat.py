"""Static files of the embeddable web chat: the widget, its stylesheet, the vendored socket.io client and a
demo page, served by the Rasa server itself.

Registered in ``credentials.yml`` as ``bot.channels.WebChatAssets``; files come from ``web/`` at the
repository root and are served under ``/webhooks/webchat/`` (``/webhooks/webchat/`` is the demo page,
``/webhooks/webchat/widget.js`` the script to embed). Only regular files with a known extension inside
``web/`` are served: no directory listing, no dot files, no ``..``, no symlinks leading out of the folder.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path, PurePosixPath
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import ROOT

logger = logging.getLogger(__name__)

WEB_ROOT = ROOT / "web"
INDEX = "index.html"
CONTENT_TYPES: Dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# The demo page runs only our own files; the widget builds its DOM with textContent anyway.
DEMO_PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def safe_asset_path(root: Path, name: str) -> Optional[Path]:
    """The file under ``root`` that the URL path ``name`` names, or None when it must not be served
    (traversal, dot files, unknown extension, missing, or a symlink pointing outside ``root``)."""
    name = name or INDEX
    if "\\" in name or "\x00" in name or name.startswith("/") or len(name) > 255:
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if PurePosixPath(name).suffix.lower() not in CONTENT_TYPES:
        return None
    base = root.resolve()
    try:
        path = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def asset_headers(path: Path, body: bytes) -> Dict[str, str]:
    """Response headers for a served file: exact type, no sniffing, revalidation by ETag, and a CSP on
    HTML pages. The widget may be loaded from any site that embeds it."""
    headers = {
        "Content-Type": CONTENT_TYPES[path.suffix.lower()],
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
        "ETag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Referrer-Policy": "no-referrer",
    }
    if path.suffix.lower() == ".html":
        headers["Content-Security-Policy"] = DEMO_PAGE_CSP
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return headers


class WebChatAssets(InputChannel):
    """Serves ``web/`` under ``/webhooks/webchat/`` (GET only; it never receives messages)."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = Path(root or WEB_ROOT)

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        assets = Blueprint(f"webchat_assets_{type(self).__name__}", __name__)
        if not (self.root / INDEX).is_file():
            logger.warning("webchat: %s not found; the web chat widget will answer 404", self.root / INDEX)

        async def serve(request: Request, name: str) -> HTTPResponse:
            path = safe_asset_path(self.root, name)
            if path is None:
                return response.json({"error": "not found"}, status=404)
            body = path.read_bytes()
            headers = asset_headers(path, body)
            if request.headers.get("if-none-match") == headers["ETag"]:
                return response.empty(status=304, headers={"ETag": headers["ETag"]})
            content_type = headers.pop("Content-Type")
            return response.raw(body, content_type=content_type, headers=headers)

        @assets.route("/", methods=["GET"])
        async def index(request: Request) -> HTTPResponse:
            return await serve(request, INDEX)

        @assets.route("/<name:path>", methods=["GET"])
        async def asset(request: Request, name: str) -> HTTPResponse:
            return await serve(request, name)

        return assets
