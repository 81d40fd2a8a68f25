"""The Rasa endpoints of a run: the embedded default (SQLite tracker store, in-memory lock store), or the
production profile's services, each selected by its URL:

* ``DATABASE_URL`` (``postgresql://user:password@host:5432/db``): tracker store ``SQL`` with dialect
  ``postgresql`` (host, port, database, user, password and query options taken from the URL);
* ``REDIS_URL`` (``redis://[:password@]host:6379/0``, ``rediss://`` for TLS): Rasa's Redis lock store made
  atomic across processes, with an in-process fallback while Redis is down (:mod:`bot.lock_store`); it lets
  Rasa run several Sanic workers and several replicas;
* ``RABBITMQ_URL`` (``amqp://user:password@host:5672/vhost``): event broker ``pika`` publishing every
  tracker event to ``RABBITMQ_QUEUE`` (default ``rasa_production_events``).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import quote, unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from bot.tickets.database import normalise_url

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "rasa_production_events"
LOCK_STORE_CLASS = "bot.lock_store.FallbackRedisLockStore"
LOCK_KEY_PREFIX = "kriptocs"


def sql_tracker_store(database_url: str) -> Dict[str, Any]:
    """Rasa's SQL tracker store on the PostgreSQL database of ``database_url``."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL; got {url.render_as_string()}")
    store: Dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "url": url.host or "localhost",
                             "port": url.port or 5432, "db": url.database or "postgres"}
    if url.username:
        store["username"] = url.username
    if url.password:
        store["password"] = str(url.password)
    if url.query:
        store["query"] = {key: value if isinstance(value, str) else ",".join(value)
                          for key, value in url.query.items()}
    return store


def sqlite_tracker_store(path: Path) -> Dict[str, Any]:
    """Rasa's SQL tracker store in a SQLite file (the embedded default)."""
    return {"type": "SQL", "dialect": "sqlite", "db": str(path)}


def redis_lock_store(redis_url: str) -> Dict[str, Any]:
    """The lock store on ``redis_url``: Rasa's Redis lock store, atomic and with a fallback (bot.lock_store)."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:6379/0; got {redis_url!r}")
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"REDIS_URL's database must be a number; got {database!r}")
    store: Dict[str, Any] = {"type": LOCK_STORE_CLASS, "url": parts.hostname, "port": parts.port or 6379,
                             "db": int(database), "key_prefix": LOCK_KEY_PREFIX}
    if parts.username:
        store["username"] = unquote(parts.username)
    if parts.password:
        store["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        store["use_ssl"] = True
    return store


def pika_event_broker(rabbitmq_url: str, queue: str = DEFAULT_QUEUE) -> Dict[str, Any]:
    """Rasa's RabbitMQ (pika) event broker on ``rabbitmq_url``.

    Rasa rebuilds the connection URL as ``scheme://username:password@host:port/vhost``, so the credentials
    are passed URL-encoded and the URL without them."""
    parts = urlsplit(rabbitmq_url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ValueError(f"RABBITMQ_URL must look like amqp://user:password@host:5672/vhost; got {rabbitmq_url!r}")
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    vhost = parts.path if parts.path not in ("", "/") else ""
    return {"type": "pika", "url": f"{parts.scheme}://{parts.hostname}:{port}{vhost}", "port": port,
            "username": quote(unquote(parts.username or "guest"), safe=""),
            "password": quote(unquote(parts.password or "guest"), safe=""), "queues": [queue]}


def endpoints(action_url: str, tracker_db: Path, database_url: str = "", redis_url: str = "",
              rabbitmq_url: str = "", queue: str = DEFAULT_QUEUE) -> Dict[str, Any]:
    """The endpoints of a run: the local action server, and each store the settings select."""
    config: Dict[str, Any] = {
        "action_endpoint": {"url": action_url},
        "tracker_store": sql_tracker_store(database_url) if database_url else sqlite_tracker_store(tracker_db),
    }
    if redis_url:
        config["lock_store"] = redis_lock_store(redis_url)
    if rabbitmq_url:
        config["event_broker"] = pika_event_broker(rabbitmq_url, queue)
    return config


def write_private_yaml(path: Path, content: Dict[str, Any]) -> Path:
    """Write ``content`` as YAML readable by this user only (it may hold database passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        yaml.safe_dump(content, handle, sort_keys=False, allow_unicode=True)
    return path


def setting(name: str, default: str = "") -> str:
    """An environment setting, stripped (unset and blank both give ``default``)."""
    return os.environ.get(name, "").strip() or default


def requested_workers() -> int:
    """``RASA_WORKERS`` (default 1): how many Sanic workers Rasa should run."""
    raw = setting("RASA_WORKERS", "1")
    try:
        return max(1, int(raw))
    except ValueError:
        raise ValueError(f"RASA_WORKERS must be a whole number; got {raw!r}") from None


def effective_workers(wanted: int, redis_url: str) -> int:
    """``wanted`` workers when a Redis lock store is configured, else 1: Rasa refuses several workers with
    its in-memory lock store (each worker would lock conversations only for itself)."""
    if wanted > 1 and not redis_url:
        logger.warning("RASA_WORKERS=%s ignored: several Rasa workers need REDIS_URL (Redis lock store)", wanted)
        return 1
    return max(1, wanted)
