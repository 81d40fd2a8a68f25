"""Read the notifier configuration (``notifiers.yml``) with ``${VAR}`` / ``${VAR:-default}`` substitution.

Format::

    notifiers:
      <name>:
        kind: telegram | webhook
        ...   # telegram: token, chat_id, [base_url], [timeout]; webhook: url, secret, [timeout]

Substitution happens in string values after YAML parsing, so secrets with YAML special characters are safe.
A notifier with missing or empty required values is disabled with a single log line; the configuration
never crashes the assistant. Its name still counts as declared, so tickets can queue notifications for
it that are delivered once it is configured.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import yaml

from bot.tickets.notifiers import DEFAULT_TIMEOUT_SECONDS, TELEGRAM_API_URL, Notifier, TelegramNotifier, WebhookNotifier

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = REPO_ROOT / "notifiers.yml"
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

PathLike = Union[str, Path]


def config_path(path: Optional[PathLike] = None, env: str = "NOTIFIERS_CONFIG",
                default: Path = DEFAULT_CONFIG_PATH) -> Path:
    """``path``, else the file named by ``env`` (``NOTIFIERS_CONFIG``), else ``default`` (``notifiers.yml``)."""
    return Path(path or os.environ.get(env, "").strip() or default)


def expand_env(value: Any, environ: Mapping[str, str] = os.environ) -> Any:
    """Replace ``${VAR}`` (empty if unset) and ``${VAR:-default}`` (default if unset or empty) in strings."""
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(lambda match: environ.get(match.group(1)) or (match.group(2) or ""), value)
    if isinstance(value, dict):
        return {key: expand_env(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_env(item, environ) for item in value]
    return value


def read_config(path: Optional[PathLike] = None, section: str = "notifiers") -> Dict[str, Dict[str, Any]]:
    """Entries of ``section`` by name, env references expanded; an unreadable file is logged and yields ``{}``."""
    source = config_path(path) if section == "notifiers" else Path(path or "")
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        logger.warning("%s config %s not found; none will be used", section, source)
        return {}
    except (OSError, yaml.YAMLError) as error:
        logger.error("%s config %s is unreadable (%s); none will be used", section, source, error)
        return {}
    entries = document.get(section) if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        logger.error("%s config %s has no '%s:' mapping; none will be used", section, source, section)
        return {}
    return {str(name): expand_env(entry) for name, entry in entries.items() if isinstance(entry, dict)}


def text_value(entry: Mapping[str, Any], key: str) -> str:
    """A configuration value as stripped text ("" when missing)."""
    return _text(entry, key)


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return "" if value is None else str(value).strip()


def _timeout(entry: Mapping[str, Any]) -> float:
    try:
        return float(_text(entry, "timeout") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS


def _telegram(name: str, entry: Mapping[str, Any]) -> Notifier:
    return TelegramNotifier(name, token=_text(entry, "token"), chat_id=_text(entry, "chat_id"),
                            base_url=_text(entry, "base_url") or TELEGRAM_API_URL, timeout=_timeout(entry))


def _webhook(name: str, entry: Mapping[str, Any]) -> Notifier:
    return WebhookNotifier(name, url=_text(entry, "url"), secret=_text(entry, "secret"), timeout=_timeout(entry))


# kind -> (required keys, builder)
NOTIFIER_KINDS: Dict[str, Tuple[Tuple[str, ...], Callable[[str, Mapping[str, Any]], Notifier]]] = {
    "telegram": (("token", "chat_id"), _telegram),
    "webhook": (("url", "secret"), _webhook),
}


def _problem(entry: Mapping[str, Any]) -> Optional[str]:
    """Why an entry cannot be used, or None."""
    kind = _text(entry, "kind")
    if kind not in NOTIFIER_KINDS:
        return f"unknown kind {kind!r} (expected one of: {', '.join(NOTIFIER_KINDS)})"
    missing = [key for key in NOTIFIER_KINDS[kind][0] if not _text(entry, key)]
    if missing:
        return f"missing or empty: {', '.join(missing)}"
    if kind == "webhook" and not _text(entry, "url").startswith(("http://", "https://")):
        return "url must start with http:// or https://"
    return None


def load_notifiers(path: Optional[PathLike] = None) -> Dict[str, Notifier]:
    """The usable notifiers by name; each unusable one is logged once and left out."""
    notifiers: Dict[str, Notifier] = {}
    for name, entry in read_config(path).items():
        problem = _problem(entry)
        if problem:
            logger.warning("notifier %r disabled: %s", name, problem)
            continue
        notifiers[name] = NOTIFIER_KINDS[_text(entry, "kind")][1](name, entry)
    return notifiers


def declared_notifier_names(path: Optional[PathLike] = None) -> List[str]:
    """Every notifier name in the config, usable or not (queue for these so nothing is lost)."""
    return list(read_config(path))
