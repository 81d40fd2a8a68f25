"""The Rasa endpoints of a run: the embedded default (SQLite tracker store, in-memory lock store), or the
production profile's services, each selected by its URL:

* ``DATABASE_URL`` (``postgresql://user:password@host:5432/db``): tracker store ``SQL`` with dialect
  ``postgresql`` (host, port, database, user, password and query options taken from the URL);
* ``REDIS_URL`` (``redis://[:password@]host:6379/0``, ``rediss://`` for TLS): Rasa's Redis lock store made
  atomic across processes, with an in-process fallback while Redis is down (:mod:`bot.lock_store`); it lets
  Rasa run several Sanic workers and several replicas;
* ``RABBITMQ_URL`` (``amqp://user:password@host:5672/vhost``): event broker ``pika`` publishing every
  tracker event to ``RABBITMQ_QUEUE`` (default ``rasa_production_events``), which the analytics consumer
  (``python -m bot.analytics.consume``) stores in ``ANALYTICS_DB_URL``;
* otherwise the event broker is Rasa's SQL broker writing the analytics store directly: the SQLite file
  ``<var>/analytics.db`` by default, or the database of ``ANALYTICS_DB_URL`` (SQLite or PostgreSQL). It is
  Rasa's class with a faster engine (``bot.analytics.broker.SQLEventBroker``: Rasa's own engine opens and
  closes a SQLite connection for every event, which tripled the median turn time).

The analytics database must not be the tracker store's: both keep a table named ``events``.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import quote, unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from bot.analytics.events import same_database
from bot.tickets.database import normalise_url

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "rasa_production_events"
LOCK_STORE_CLASS = "bot.lock_store.FallbackRedisLockStore"
LOCK_KEY_PREFIX = "kriptocs"
SQL_BROKER_CLASS = "bot.analytics.broker.SQLEventBroker"   # Rasa's SQL event broker, pooled engine
TRACKER_STORE_CLASS = "bot.tracker_cache.CachingSQLTrackerStore"   # Rasa's SQL tracker store, reads cached


def sql_tracker_store(database_url: str) -> Dict[str, Any]:
    """Rasa's SQL tracker store (:data:`TRACKER_STORE_CLASS`, configured as Rasa's ``SQL`` type is) on the
    PostgreSQL database of ``database_url``."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL; got {url.render_as_string()}")
    store: Dict[str, Any] = {"type": TRACKER_STORE_CLASS, "dialect": "postgresql", "url": url.host or "localhost",
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
    """Rasa's SQL tracker store (:data:`TRACKER_STORE_CLASS`) in a SQLite file (the embedded default)."""
    return {"type": TRACKER_STORE_CLASS, "dialect": "sqlite", "db": str(path)}


def redis_lock_store(redis_url: str) -> Dict[str, Any]:
    """The lock store on ``redis_url``: Rasa's Redis lock store, atomic and with a fallback (bot.lock_store),
    which reads host, port, database, credentials and TLS from the URL itself; checked here so a wrong
    setting stops the start with a clear message."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:6379/0; got {redis_url!r}")
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"REDIS_URL's database must be a number; got {database!r}")
    return {"type": LOCK_STORE_CLASS, "url": redis_url, "key_prefix": LOCK_KEY_PREFIX}


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


def sql_event_broker(analytics_url: str) -> Dict[str, Any]:
    """Rasa's SQL event broker (:data:`SQL_BROKER_CLASS`, configured as Rasa's ``SQL`` type is) writing to the
    analytics database ``analytics_url`` (``sqlite:///path`` or ``postgresql://...``). For PostgreSQL the
    whole URL goes in ``url`` (Rasa uses a ``url`` holding ``://`` as it is), so options such as ``sslmode``
    are kept."""
    url = make_url(normalise_url(analytics_url))
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        return {"type": SQL_BROKER_CLASS, "dialect": "sqlite", "db": url.database}
    if backend == "postgresql":
        return {"type": SQL_BROKER_CLASS, "dialect": "postgresql", "url": url.render_as_string(hide_password=False)}
    raise ValueError(f"ANALYTICS_DB_URL must be a sqlite:///file or postgresql:// URL; got {url.render_as_string()}")


def check_analytics_database(analytics_url: str, database_url: str, tracker_db: Optional[Path] = None) -> None:
    """Refuse an analytics database that is the tracker store's (``DATABASE_URL``, or the SQLite tracker file):
    both keep their rows in a table named ``events``."""
    tracker_url = database_url or (f"sqlite:///{tracker_db}" if tracker_db else "")
    if tracker_url and same_database(analytics_url, tracker_url):
        raise ValueError("ANALYTICS_DB_URL names the tracker store's database (DATABASE_URL, or the SQLite tracker "
                         "file); both use a table named 'events', so the analytics store needs a database of its own")


def event_broker(analytics_url: str, rabbitmq_url: str = "", queue: str = DEFAULT_QUEUE) -> Optional[Dict[str, Any]]:
    """The event broker: RabbitMQ with ``rabbitmq_url``, else Rasa's SQL broker on ``analytics_url``, else none."""
    if rabbitmq_url:
        return pika_event_broker(rabbitmq_url, queue)
    if analytics_url:
        return sql_event_broker(analytics_url)
    return None


def endpoints(action_url: str, tracker_db: Path, database_url: str = "", redis_url: str = "",
              rabbitmq_url: str = "", queue: str = DEFAULT_QUEUE, analytics_url: str = "") -> Dict[str, Any]:
    """The endpoints of a run: the local action server, and each store the settings select. The event broker
    is RabbitMQ with ``rabbitmq_url``, else Rasa's SQL broker on ``analytics_url`` (given by
    ``bot.servers``; "" leaves the run without an event broker)."""
    if analytics_url:
        check_analytics_database(analytics_url, database_url, None if database_url else tracker_db)
    config: Dict[str, Any] = {
        "action_endpoint": {"url": action_url},
        "tracker_store": sql_tracker_store(database_url) if database_url else sqlite_tracker_store(tracker_db),
    }
    if redis_url:
        config["lock_store"] = redis_lock_store(redis_url)
    broker = event_broker(analytics_url, rabbitmq_url, queue)
    if broker:
        config["event_broker"] = broker
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
