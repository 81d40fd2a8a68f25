"""``python -m bot.rasa_runtime <rasa arguments>``: Rasa's CLI with these fixes for Rasa 3.6.

1. Start-up order: Rasa opens its port (REST, socket.io, webhooks) only once the model is warmed up
   (one parse) and the action server answers its health check, so a customer who reconnects the moment
   Rasa is back (the web chat does) neither waits out TensorFlow's first-inference set-up (which blocks
   the event loop long enough for socket.io clients to drop and miss their reply) nor loses a reply to
   "Couldn't connect to the action server".
2. ``GET /health``: every part of the server in one answer (see :mod:`bot.health`), for operators and the
   load balancer.
3. ``GET /metrics``: Prometheus figures for operators (see :mod:`bot.metrics_route`); the NLU's intent of each
   customer message is handed to :mod:`bot.analytics.live_metrics` by a wrapper of ``parse_message``.
4. Performance: Rasa 3.6 validates every action-server response with ``jsonschema.validate()``, which re-checks the
*schema itself* on each call; profiling showed that to be ~40 % of the Rasa server's CPU time on a turn
that runs a custom action. The fix validates against the same schema with a validator built once, and
raises the same ``ValidationError`` (best match, same message suffix) for an invalid response.
5. Tracker store outage: the agent's tracker store is wrapped by :mod:`bot.tracker_outage` instead of Rasa's
   ``FailSafeTrackerStore``, which answers from an empty conversation and drops the turn.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
import time
from functools import lru_cache
from typing import Any, Dict, List, Optional

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from bot import tracker_outage
from bot.analytics.metrics_dir import ensure_metrics_dir
from bot.health_route import action_health_url, install_health_route
from bot.servers import http_ok


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Drop-in replacement for ``RemoteAction._validate_action_result`` using a cached validator."""
    from rasa.shared.constants import DOCS_BASE_URL

    error: Optional[ValidationError] = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


logger = logging.getLogger(__name__)
ACTION_WAIT_SECONDS = float(os.environ.get("ACTION_SERVER_WAIT_SECONDS", "180"))


async def wait_for_action_server(webhook_url: str, timeout: float = ACTION_WAIT_SECONDS) -> bool:
    """Poll the action server's health until it answers (True) or ``timeout`` passes (False, logged)."""
    url, deadline = action_health_url(webhook_url), time.monotonic() + timeout
    loop = asyncio.get_running_loop()
    while time.monotonic() < deadline:
        if await loop.run_in_executor(None, http_ok, url):
            return True
        await asyncio.sleep(0.5)
    logger.warning("action server at %s not answering after %.0f s; starting anyway", url, timeout)
    return False


async def warm_up(agent: Any) -> None:
    """Run one parse before the port opens: the first inference builds TensorFlow's graph, which blocks
    the event loop for seconds (long enough for a socket.io client to time out and miss its reply)."""
    started = time.monotonic()
    try:
        await agent.parse_message("halo")
    except Exception:  # noqa: BLE001 - a failed warm-up must not stop the server
        logger.exception("model warm-up failed")
        return
    logger.info("model warmed up in %.1f s", time.monotonic() - started)


def _load_agent_then_wait_for_actions(original: Any) -> Any:
    async def load(model_path: Any, endpoints: Any, remote_storage: Any, app: Any, loop: Any) -> Any:
        agent = await original(model_path, endpoints, remote_storage, app, loop)
        await warm_up(agent)
        action = getattr(endpoints, "action", None) if endpoints else None
        if action is not None and getattr(action, "url", None):
            await wait_for_action_server(action.url)
        return agent

    return load


def _configure_app_with_health(original: Any) -> Any:
    def configure(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        endpoints = kwargs.get("endpoints")
        action = getattr(endpoints, "action", None) if endpoints else None
        install_health_route(app, getattr(action, "url", None))
        from bot.metrics_route import install_metrics_route  # imports prometheus_client: after main() set its folder

        bound = inspect.signature(original).bind_partial(*args, **kwargs).arguments
        install_metrics_route(app, bound.get("auth_token"))
        return app

    return configure


def _parse_message_with_metrics(original: Any) -> Any:
    """``MessageProcessor.parse_message`` that also tells the live metrics which intent the NLU found."""
    if getattr(original, "records_live_metrics", False):
        return original

    async def parse_message(self: Any, message: Any, *args: Any, **kwargs: Any) -> Any:
        parse_data = await original(self, message, *args, **kwargs)
        from bot.analytics import live_metrics

        domain = getattr(self, "domain", None)
        live_metrics.record_parse(parse_data, getattr(domain, "intents", None) or ())
        return parse_data

    parse_message.records_live_metrics = True  # type: ignore[attr-defined]
    return parse_message


def apply() -> None:
    """Install the fixes into the running Rasa process."""
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    tracker_outage.install()
    MessageProcessor.parse_message = _parse_message_with_metrics(MessageProcessor.parse_message)
    RemoteAction._validate_action_result = validate_action_result
    rasa.core.run.load_agent_on_start = _load_agent_then_wait_for_actions(rasa.core.run.load_agent_on_start)
    rasa.core.run.configure_app = _configure_app_with_health(rasa.core.run.configure_app)


def main(argv: Optional[List[str]] = None) -> None:
    ensure_metrics_dir()   # before anything imports prometheus_client, and before Sanic forks its workers
    apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
