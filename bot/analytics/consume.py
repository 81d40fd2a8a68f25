"""``python -m bot.analytics.consume``: store the tracker events Rasa publishes to RabbitMQ in the analytics
database, until SIGTERM or Ctrl-C (see :mod:`bot.analytics.consumer`).

Settings: ``RABBITMQ_URL`` (required), ``RABBITMQ_QUEUE`` (default ``rasa_production_events``, as Rasa's),
``ANALYTICS_DB_URL`` (PostgreSQL in production; created with its table when missing). Exit status 0 when
stopped, 2 when the settings are wrong, 1 on an unexpected error.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import List, Optional

from sqlalchemy.engine import make_url

from bot.analytics.consumer import Consumer, ConsumerSettings

EXIT_SETTINGS = 2
logger = logging.getLogger("bot.analytics.consumer")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.analytics.consume", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=200, help="events stored per transaction at most")
    parser.add_argument("--batch-wait", type=float, default=0.5,
                        help="seconds a batch waits for more events after its first")
    parser.add_argument("--heartbeat-file", type=Path, default=None,
                        help="touched while connected and storing (for a container health check)")
    return parser.parse_args(argv)


async def consume(settings: ConsumerSettings) -> None:
    """Run the consumer until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await Consumer(settings, stop).run()


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = ConsumerSettings.from_env(batch_size=max(1, args.batch_size), batch_wait=max(0.0, args.batch_wait),
                                             heartbeat_file=args.heartbeat_file)
    except ValueError as error:
        print(f"Cannot start the analytics consumer: {error}.", file=sys.stderr, flush=True)
        return EXIT_SETTINGS
    logger.info("analytics consumer: queue %s -> %s", settings.queue,
                make_url(settings.analytics_db_url).render_as_string(hide_password=True))
    try:
        asyncio.run(consume(settings))
    except Exception:  # noqa: BLE001 - one clear line and a non-zero status for the supervisor
        logger.exception("analytics consumer: stopped by an unexpected error")
        return 1
    logger.info("analytics consumer: stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
