"""Telegram message text: safe HTML (escape first, then ``**bold**`` → ``<b>``) and splitting at 4096.

Everything here is pure (no network, no Rasa) so it can be unit-tested on its own.
"""
from __future__ import annotations

import html
import re
from typing import List, Tuple

from bot.channels.common import split_text
from bot.text_limits import utf16_length

MAX_MESSAGE_UTF16 = 4096   # Telegram's limit for one message, in UTF-16 code units

# ``**bold**`` on one line, not empty, not starting or ending with a space (after escaping, the inner text
# holds no ``<``/``>``, so the tags we add can never be unbalanced or nested wrongly).
_BOLD = re.compile(r"\*\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*\*")


def to_html(text: str) -> str:
    """``text`` as Telegram HTML: ``&``, ``<`` and ``>`` escaped (all Telegram needs outside attributes),
    then the assistant's ``**bold**`` converted to ``<b>…</b>``."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def html_parts(text: str, limit: int = MAX_MESSAGE_UTF16) -> List[str]:
    """``text`` as one or more Telegram HTML messages, each at most ``limit`` UTF-16 units *after* escaping.

    The plain text is cut (at paragraph, line, sentence or word boundaries via ``split_text``) before it is
    escaped, so a cut never lands inside an entity like ``&amp;`` or between ``<b>`` and ``</b>``. Each part
    is as long as fits: when escaping (or wide characters) would push it over the limit, it is cut shorter.
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        first, rendered = _longest_fitting(rest, limit)
        parts.append(rendered)
        rest = rest[len(first):].lstrip()
    return parts


def _longest_fitting(text: str, limit: int) -> Tuple[str, str]:
    """The first part of ``text`` whose HTML fits in ``limit``, and that HTML."""
    size = limit
    while True:
        first = split_text(text[: size + 1], size)[0]
        rendered = to_html(first)
        length = utf16_length(rendered)
        if length <= limit or len(first) <= 1:
            return first, rendered
        size = max(1, min(len(first) - 1, len(first) * limit // length))
