"""Fitting text into the limits of a message, button or table cell: :func:`clip` and :func:`utf16_length`."""
from __future__ import annotations

import re

_WORD = re.compile(r"\S+")


def clip(text: str, limit: int) -> str:
    """``text`` on one line, shortened to ``limit`` characters with an ellipsis, at a word boundary when
    possible (``"Saldo belum masuk ke akun"``, 16 → ``"Saldo belum…"``)."""
    text = " ".join(_WORD.findall(text))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(",.;:") + "…"


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it: an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2
