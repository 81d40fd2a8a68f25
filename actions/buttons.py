"""The buttons under the assistant's answers (articles, "did this help?", "talk to an agent"), and an article as
one chat message."""
from __future__ import annotations

from typing import Dict, Iterable, List

from bot import wording
from kb.articles import Article
from nlu.payloads import button_payload


def article_text(article: Article) -> str:
    """Title and body of an article as one chat message (blank lines would split it into several)."""
    body = "\n".join(line for line in article.body.splitlines() if line.strip())
    return f"**{article.title}**\n{body}"


def feedback_buttons() -> List[Dict[str, str]]:
    """The "did this help?" buttons shown under a knowledge answer."""
    return [
        {"title": wording.BUTTON_HELPFUL, "payload": button_payload("affirm")},
        {"title": wording.BUTTON_NOT_HELPFUL, "payload": button_payload("deny")},
    ]


def agent_button() -> Dict[str, str]:
    """The "talk to an agent" button."""
    return {"title": wording.BUTTON_AGENT, "payload": button_payload("request_human")}


def article_buttons(articles: Iterable[Article], with_agent: bool = True) -> List[Dict[str, str]]:
    """One button per article (payload ``/choose_article``), plus an optional "talk to an agent" button."""
    buttons = [{"title": a.title, "payload": button_payload("choose_article", article_id=a.id)} for a in articles]
    if with_agent:
        buttons.append(agent_button())
    return buttons
