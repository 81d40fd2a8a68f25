"""Building WhatsApp Cloud API message bodies (``POST /{phone-number-id}/messages``) from the assistant's
replies, within WhatsApp's limits.

- text: at most 4096 characters per message (longer replies are split), ``**bold**`` becomes ``*bold*``;
- up to 3 choices: interactive reply buttons (title <= 20 characters, id <= 256, body <= 1024);
- 4 to 10 choices: an interactive list (row title <= 24, description <= 72, id <= 200, button label <= 20);
  more than 10: a list of the first 10.

Choice ids are issued by a :class:`ChoiceIssuer` (``bot.channels.whatsapp_choices``) so that a tapped
reply can later be checked against what was really offered.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional

from bot.channels.common import split_text
from bot.text_limits import clip
from bot.wording import BUTTONS_ONLY_TEXT, WHATSAPP_LIST_BUTTON, WHATSAPP_LIST_SECTION

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
BODY_LIMIT = 1024          # interactive body (reply buttons; also used for lists to stay on the safe side)
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
CHOICE_ID_LIMIT = 200      # list rows allow 200, reply buttons 256: one limit for both

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_BOLD_UNDERSCORE = re.compile(r"__(?=\S)(.+?)(?<=\S)__", re.DOTALL)

# (recipient wa_id, payload) -> choice id
ChoiceIssuer = Callable[[str, str], str]


@dataclass(frozen=True)
class Choice:
    """A button the assistant offers: what the customer sees and the payload Rasa gets back."""

    title: str
    payload: str


def to_whatsapp_markup(text: str) -> str:
    """Markdown bold (``**x**`` or ``__x__``) as WhatsApp bold (``*x*``)."""
    text = _BOLD.sub(r"*\1*", text)
    return _BOLD_UNDERSCORE.sub(r"*\1*", text)


def plain(text: str) -> str:
    """Text for places without formatting (button titles, list rows): markdown markers removed."""
    return _BOLD_UNDERSCORE.sub(r"\1", _BOLD.sub(r"\1", text))


def choices_from_buttons(buttons: Iterable[Dict[str, Any]]) -> List[Choice]:
    """Rasa buttons with a title and a payload, in order; duplicate payloads are dropped."""
    seen = set()
    choices: List[Choice] = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        title, payload = button.get("title"), button.get("payload")
        if not isinstance(payload, str) or not payload.strip() or payload in seen:
            continue
        seen.add(payload)
        choices.append(Choice(title if isinstance(title, str) and title.strip() else payload, payload))
    return choices


def text_message(to: str, text: str) -> Dict[str, Any]:
    """One text message body (``text`` already within ``TEXT_LIMIT``)."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"preview_url": False, "body": text}}


def text_messages(to: str, text: str) -> List[Dict[str, Any]]:
    """A reply as text messages, split at paragraph/sentence boundaries over 4096 characters."""
    return [text_message(to, part) for part in split_text(to_whatsapp_markup(text or ""), TEXT_LIMIT)]


def image_message(to: str, url: str) -> Dict[str, Any]:
    """An image by link."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "image",
            "image": {"link": url}}


def unique_titles(titles: List[str], limit: int) -> List[str]:
    """Titles clipped to ``limit`` and made unique within one message (WhatsApp refuses duplicates)."""
    result: List[str] = []
    for title in titles:
        candidate = clip(plain(title), limit) or "-"
        number = 2
        while candidate in result:
            suffix = f" {number}"
            candidate = clip(plain(title), limit - len(suffix)) + suffix
            number += 1
        result.append(candidate)
    return result


def button_message(to: str, body: str, choices: List[Choice], issue: ChoiceIssuer) -> Dict[str, Any]:
    """Interactive reply buttons (1 to 3 choices)."""
    choices = choices[:MAX_BUTTONS]
    titles = unique_titles([c.title for c in choices], BUTTON_TITLE_LIMIT)
    buttons = [{"type": "reply", "reply": {"id": issue(to, c.payload), "title": t}}
               for c, t in zip(choices, titles, strict=True)]
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive",
            "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}


def list_message(to: str, body: str, choices: List[Choice], issue: ChoiceIssuer) -> Dict[str, Any]:
    """Interactive list (up to 10 rows; extra choices are left out). A title longer than a row title is
    shown in full (up to 72 characters) as the row's description."""
    if len(choices) > MAX_ROWS:
        logger.info("whatsapp: %d choices offered, the list shows the first %d", len(choices), MAX_ROWS)
    choices = choices[:MAX_ROWS]
    titles = unique_titles([c.title for c in choices], ROW_TITLE_LIMIT)
    rows = []
    for choice, title in zip(choices, titles, strict=True):
        row: Dict[str, Any] = {"id": issue(to, choice.payload), "title": title}
        full = " ".join(plain(choice.title).split())
        if full != title:
            row["description"] = clip(full, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    action = {"button": WHATSAPP_LIST_BUTTON, "sections": [{"title": WHATSAPP_LIST_SECTION, "rows": rows}]}
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive",
            "interactive": {"type": "list", "body": {"text": body}, "action": action}}


def choice_messages(to: str, text: Optional[str], choices: List[Choice],
                    issue: ChoiceIssuer) -> List[Dict[str, Any]]:
    """A reply with choices: reply buttons for up to 3, a list for more. Text too long for an interactive
    body goes first as text messages; the last part (at most 1024 characters) becomes the body."""
    if not choices:
        return text_messages(to, text or "")
    parts = split_text(to_whatsapp_markup(text or ""), TEXT_LIMIT)
    leading, last = parts[:-1], (parts[-1] if parts else "")
    if len(last) > BODY_LIMIT:
        body_part = split_text(last, BODY_LIMIT)[-1]   # split_text keeps the text, so ``last`` ends with it
        leading, last = leading + [last[: len(last) - len(body_part)].rstrip()], body_part
    body = last or BUTTONS_ONLY_TEXT
    messages = [text_message(to, part) for part in leading]
    build = button_message if len(choices) <= MAX_BUTTONS else list_message
    messages.append(build(to, body, choices, issue))
    return messages

