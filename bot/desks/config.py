"""Read the agent desks (``desks.yml``, next to ``notifiers.yml``; another file with ``DESKS_CONFIG``).

Format::

    desks:
      <name>:
        kind: telegram_group | chatwoot
        ...   # telegram_group: token, chat_id, [base_url], [timeout], agents
              # chatwoot: base_url, account_id, inbox_id, api_token, [webhook_secret], [timeout], agents

``agents`` is the allow-list of who may act as an agent: Telegram user ids, or Chatwoot user ids,
comma-separated. An empty list refuses every agent action (the desk logs it as an error when it starts).

``${VAR}`` / ``${VAR:-default}`` are substituted as in ``notifiers.yml``. A desk with missing values is
disabled with one log line; its name still counts as declared, so customer messages and notes for it wait
in the outbox until it is configured. The command line (``python -m bot.tickets``) needs no entry.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from bot.desks.base import Desk
from bot.handoff.service import HandoffService
from bot.tickets.config import REPO_ROOT, PathLike, config_path, read_config, text_value

logger = logging.getLogger(__name__)

DEFAULT_DESKS_PATH = REPO_ROOT / "desks.yml"
TELEGRAM_API_URL = "https://api.telegram.org/bot"


def desks_path(path: Optional[PathLike] = None) -> Path:
    """``path``, else ``DESKS_CONFIG``, else ``desks.yml`` at the repository root."""
    return config_path(path, env="DESKS_CONFIG", default=DEFAULT_DESKS_PATH)


def _timeout(entry: Mapping[str, Any]) -> float:
    try:
        return float(text_value(entry, "timeout") or 10.0)
    except ValueError:
        return 10.0


def _agents(entry: Mapping[str, Any]) -> List[str]:
    """The desk's allow-list: comma-separated ids."""
    return [item.strip() for item in text_value(entry, "agents").split(",") if item.strip()]


def _telegram_group(name: str, entry: Mapping[str, Any], service: HandoffService) -> Desk:
    from bot.desks.telegram_group import TelegramGroupDesk

    return TelegramGroupDesk(name, token=text_value(entry, "token"), chat_id=text_value(entry, "chat_id"),
                             service=service, base_url=text_value(entry, "base_url") or TELEGRAM_API_URL,
                             timeout=_timeout(entry), agents=_agents(entry))


def _chatwoot(name: str, entry: Mapping[str, Any], service: HandoffService) -> Desk:
    from bot.desks.chatwoot import ChatwootDesk

    return ChatwootDesk(name, base_url=text_value(entry, "base_url"), account_id=int(text_value(entry, "account_id")),
                        inbox_id=int(text_value(entry, "inbox_id")), api_token=text_value(entry, "api_token"),
                        service=service, webhook_secret=text_value(entry, "webhook_secret"), timeout=_timeout(entry),
                        agents=_agents(entry))


# kind -> (required keys, builder)
DESK_KINDS: Dict[str, Tuple[Tuple[str, ...], Callable[[str, Mapping[str, Any], HandoffService], Desk]]] = {
    "telegram_group": (("token", "chat_id"), _telegram_group),
    "chatwoot": (("base_url", "account_id", "inbox_id", "api_token"), _chatwoot),
}


def _problem(entry: Mapping[str, Any]) -> Optional[str]:
    kind = text_value(entry, "kind")
    if kind not in DESK_KINDS:
        return f"unknown kind {kind!r} (expected one of: {', '.join(DESK_KINDS)})"
    missing = [key for key in DESK_KINDS[kind][0] if not text_value(entry, key)]
    return f"missing or empty: {', '.join(missing)}" if missing else None


def declared_desk_names(path: Optional[PathLike] = None) -> List[str]:
    """Every desk name in the configuration, usable or not."""
    return list(read_config(desks_path(path), section="desks"))


def load_desks(service: HandoffService, path: Optional[PathLike] = None) -> Dict[str, Desk]:
    """The usable desks by name; each unusable one is logged once and left out."""
    desks: Dict[str, Desk] = {}
    for name, entry in read_config(desks_path(path), section="desks").items():
        problem = _problem(entry)
        if problem:
            logger.warning("agent desk %r disabled: %s", name, problem)
            continue
        try:
            desks[name] = DESK_KINDS[text_value(entry, "kind")][1](name, entry, service)
        except (ValueError, TypeError) as error:   # e.g. a non-numeric Chatwoot account id
            logger.warning("agent desk %r disabled: %s", name, error)
    return desks
