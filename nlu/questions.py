"""Telling a question from an answer: ``berapa lama prosesnya?`` asks; ``BCA 1234`` or a comment answers."""
from __future__ import annotations

import re

from nlu.normalizer import normalize

_QUESTION_START = re.compile(r"^(apa|apakah|bagaimana|gimana|gmn|berapa|kapan|kenapa|mengapa|knp|kok|dimana|di mana|"
                             r"mana|bisa|boleh|cara|caranya)\b")


def is_question(text: str) -> bool:
    """A message that asks something rather than answering what the assistant asked."""
    return "?" in text or bool(_QUESTION_START.match(normalize(text)))
